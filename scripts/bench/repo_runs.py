#!/usr/bin/env python3
"""Large repositories (not a test): the first and the next run of a generated repository through
the real daemon, against the git CLI doing the same work, in one invocation.

usage: repo_runs.py JUANIE FILES [FILES ...]

For each size: a repository of FILES files (3 KB of text each) and 50 commits (each changing 40
files), served over file:// and over smart HTTP (git's own http-backend behind basic auth,
tests/support/git_http_server.py). For each transport:
  juanie first: a fresh daemon, signed push webhook -> one-step `true` run succeeded (the
                mirror is made, the commit checked out, the step run, the workspace removed)
  git first:    git clone --mirror URL + git clone --shared MIRROR (checkout of the branch)
  juanie next:  one more commit pushed, webhook -> succeeded (fetch + checkout + step)
  git next:     git fetch in the mirror + a fresh git clone --shared of it
Each row is the median of REPEAT (default 3) fresh measurements; the ratio is juanie / git."""
import base64, hashlib, hmac, http.client, json, os, random, shutil, socket, subprocess, sys
import tempfile, time

juanie = os.path.realpath(sys.argv[1])
sizes = [int(n) for n in sys.argv[2:]] or [20001]
repeat = int(os.environ.get("REPEAT", "3"))
here = os.path.dirname(os.path.realpath(__file__))
http_server = os.path.join(here, "..", "..", "tests", "support", "git_http_server.py")
work = tempfile.mkdtemp(prefix="juanie-bench-repo.")
os.chmod(work, 0o711)
GIT_USER, GIT_TOKEN, SECRET, API_TOKEN = "bench", "bench-git-token", b"bench-secret", "bench-api"
procs = []


def git(*args, cwd=None, env=None):
    subprocess.run(["git", *args], cwd=cwd, check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def generate(bare, files):
    """The repository by git fast-import: files of 3 KB printable text, then 49 commits."""
    rng = random.Random(files)
    alphabet = b"abcdefghijklmnopqrstuvwxyz \n"
    src = bare + ".src"
    git("init", "-q", "--bare", "-b", "main", bare)
    feed = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=bare, stdin=subprocess.PIPE)
    out = feed.stdin

    def data(blob):
        out.write(b"data %d\n" % len(blob))
        out.write(blob)
        out.write(b"\n")

    def path(i):
        return b"src/%03d/f%06d.txt" % (i // 200, i)

    stamp = 1700000000
    for c in range(1, 51):
        out.write(b"commit refs/heads/main\ncommitter bench <b@example.com> %d +0000\n" % (stamp + c))
        data(b"change %d" % c)
        if c == 1:
            out.write(b"M 100644 inline .juanie.yml\n")
            data(b'steps:\n  - {name: noop, commands: ["true"]}\n')
            changed = range(files - 1)
        else:
            changed = rng.sample(range(files - 1), 40)
        for i in changed:
            out.write(b"M 100644 inline " + path(i) + b"\n")
            data(bytes(rng.choice(alphabet) for _ in range(3000)) if c == 1 else
                 b"%d %d\n" % (c, i) * 300)
        out.write(b"\n")
    out.close()
    feed.wait()
    git("repack", "-a", "-d", "-q", cwd=bare)
    git("clone", "-q", bare, src)


def push_one_commit(bare, n):
    src = bare + ".src"
    with open(os.path.join(src, "src/000/f000000.txt"), "a") as f:
        f.write("next %d\n" % n)
    git("-c", "user.email=b@example.com", "-c", "user.name=bench", "commit", "-q", "-am",
        "next %d" % n, cwd=src)
    git("push", "-q", "origin", "main", cwd=src)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=src, check=True,
                          capture_output=True, text=True).stdout.strip()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_healthy(port):
    for _ in range(200):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


class Daemon:
    def __init__(self, url):
        self.dir = tempfile.mkdtemp(dir=work, prefix="daemon.")
        os.chmod(self.dir, 0o711)  # the sandbox user must reach data/workspaces
        os.makedirs(self.dir + "/projects.d")
        os.makedirs(self.dir + "/secrets")
        for name, value in (("app.webhook", SECRET.decode()), ("app.git", GIT_TOKEN)):
            with open(self.dir + "/secrets/" + name, "w") as f:
                f.write(value)
        self.port = free_port()
        digest = hashlib.sha256(API_TOKEN.encode()).hexdigest()
        with open(self.dir + "/juanie.yaml", "w") as f:
            f.write("listen: 127.0.0.1:%d\ndata_dir: data\nprojects_dir: projects.d\n"
                    "secrets_dir: secrets\napi_tokens: [{name: bench, sha256: %s}]\n"
                    % (self.port, digest))
        credentials = ", token: app.git, username: %s" % GIT_USER if url.startswith("http") else ""
        with open(self.dir + "/projects.d/app.yaml", "w") as f:
            f.write("name: app\nrepo: {url: %s, forge: github, webhook_secret: app.webhook%s}\n"
                    "branches: [{match: main, environment: dev}]\n" % (url, credentials))
        self.log = open(self.dir + "/juanie.log", "w")
        self.proc = subprocess.Popen([juanie, "serve", "--config", self.dir + "/juanie.yaml"],
                                     cwd=self.dir, stderr=self.log, stdout=self.log)
        procs.append(self.proc)
        if not wait_healthy(self.port):
            sys.exit("the daemon did not start:\n" + open(self.dir + "/juanie.log").read())
        self.deliveries = 0

    def run(self, sha):
        """Seconds from the webhook's POST to the run's `succeeded`."""
        self.deliveries += 1
        body = json.dumps({"ref": "refs/heads/main", "before": "1" * 40, "after": sha}).encode()
        sig = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        conn = http.client.HTTPConnection("127.0.0.1", self.port)
        t0 = time.monotonic()
        conn.request("POST", "/hooks/github/app", body, {
            "Content-Type": "application/json", "X-GitHub-Event": "push",
            "X-GitHub-Delivery": "bench-%d" % self.deliveries, "X-Hub-Signature-256": sig})
        run = json.loads(conn.getresponse().read())["run"]
        while True:
            conn.request("GET", "/api/v1/runs/%d" % run,
                         headers={"Authorization": "Bearer " + API_TOKEN})
            answer = json.loads(conn.getresponse().read())
            if answer["state"] in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(0.005)
        elapsed = time.monotonic() - t0
        if answer["state"] != "succeeded":
            sys.exit("run %d ended %s: %s (log in %s)" % (run, answer["state"],
                                                           answer.get("error"), self.dir))
        return elapsed

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def git_env(url):
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0")
    if url.startswith("http"):
        auth = base64.b64encode(("%s:%s" % (GIT_USER, GIT_TOKEN)).encode()).decode()
        env.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="http.extraHeader",
                   GIT_CONFIG_VALUE_0="Authorization: Basic " + auth)
    return env


def timed(fn):
    t0 = time.monotonic()
    fn()
    return time.monotonic() - t0


def measure(bare, url):
    """Medians of `repeat` rounds: (juanie first, git first, juanie next, git next)."""
    rounds = []
    for r in range(repeat):
        daemon = Daemon(url)
        head = subprocess.run(["git", "rev-parse", "main"], cwd=bare, check=True,
                              capture_output=True, text=True).stdout.strip()
        j_first = daemon.run(head)
        j_next = daemon.run(push_one_commit(bare, 2 * r))
        daemon.stop()

        scratch = tempfile.mkdtemp(dir=work, prefix="git.")
        env = git_env(url)
        mirror, ws = scratch + "/mirror", scratch + "/ws"
        g_first = timed(lambda: (git("clone", "-q", "--mirror", url, mirror, env=env),
                                 git("clone", "-q", "--shared", "-b", "main", mirror, ws)))
        push_one_commit(bare, 2 * r + 1)
        shutil.rmtree(ws)
        g_next = timed(lambda: (git("fetch", "-q", cwd=mirror, env=env),
                                git("clone", "-q", "--shared", "-b", "main", mirror, ws)))
        shutil.rmtree(scratch)
        rounds.append((j_first, g_first, j_next, g_next))
    return [sorted(column)[len(column) // 2] for column in zip(*rounds)]


def main():
    server = subprocess.Popen(["python3", http_server, work, GIT_USER, GIT_TOKEN],
                              stdout=subprocess.PIPE, text=True)
    procs.append(server)
    http_port = int(server.stdout.readline())
    print("| files | transport | juanie first | git first | ratio | juanie next | git next | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for files in sizes:
        bare = "%s/app-%d.git" % (work, files)
        generate(bare, files)
        for transport, url in (("file://", "file://" + bare),
                               ("smart HTTP", "http://127.0.0.1:%d/app-%d.git" % (http_port, files))):
            jf, gf, jn, gn = measure(bare, url)
            print("| %d | %s | %.2f s | %.2f s | %.2f× | %.2f s | %.2f s | %.2f× |"
                  % (files, transport, jf, gf, jf / gf, jn, gn, jn / gn), flush=True)


try:
    main()
finally:
    for p in procs:
        p.kill()
        p.wait()
    shutil.rmtree(work, ignore_errors=True)
