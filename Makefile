# A thin wrapper: CMake is the build. Every target first makes sure the Debian packages exist.
BUILD      ?= build
SAN_BUILD  ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 20

.PHONY: all deps build format-check test test-unit test-asan fuzz fuzz-run demo bench-intake bench-runner bench-gitops bench-repo bench-cluster clean

all: build

deps:
	@scripts/install-deps
	@scripts/install-browser-deps

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

$(SAN_BUILD)/build.ninja: | deps
	cmake -S . -B $(SAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DJUANIE_SANITIZE=ON

# Unit and integration tests again, with the daemon itself built under ASan and UBSan.
test-asan: deps $(SAN_BUILD)/build.ninja
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp ctest --output-on-failure -j 2 --timeout 300

$(FUZZ_BUILD)/build.ninja: | deps
	CC=clang-16 CXX=clang++-16 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJUANIE_FUZZ=ON

fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_all

# Runs every fuzz target for FUZZ_SECONDS on its seed corpus.
fuzz-run: fuzz
	scripts/run-fuzzers $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Style is clang-format's (.clang-format); -Wshadow and -Werror are in CMakeLists.txt.
format-check: deps
	scripts/check-format

test: format-check build
	cd $(BUILD) && ctest --output-on-failure -j 2
	$(MAKE) test-asan
	$(MAKE) fuzz-run FUZZ_SECONDS=10

demo: build
	$(BUILD)/juanie demo

bench-intake: build
	@scripts/install-deps --bench
	scripts/bench-intake $(BUILD)/juanie

bench-runner: build
	@scripts/install-deps --bench
	scripts/bench-runner $(BUILD)
	scripts/bench-e2e $(BUILD)/juanie

bench-gitops: build
	scripts/bench-gitops $(BUILD)

bench-repo: build
	scripts/bench-repo $(BUILD)/juanie

bench-cluster: build
	@scripts/install-deps --bench
	scripts/bench-cluster $(BUILD)

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)
