# Noether — build with GNU make. Dependencies come from Debian packages via pkg-config.
#   make            library, CLI and bench binaries (build/)
#   make test       unit + end-to-end tests
#   make asan-test  the tests under AddressSanitizer + UndefinedBehaviorSanitizer
# Variables: BUILD (output dir), CFLAGS_EXTRA, WERROR=1 (warnings as errors).

BUILD ?= build
CC ?= cc
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
# The OpenMP flavour of OpenBLAS shares libgomp's thread pool with our own loops.
# Falls back to whatever `pkg-config openblas` finds when that flavour is absent.
OB_PC := $(wildcard /usr/lib/$(MULTIARCH)/openblas-openmp/pkgconfig)
ifeq ($(shell PKG_CONFIG_PATH=$(OB_PC) pkg-config --exists openblas && echo yes),)
$(error OpenBLAS not found by pkg-config: run scripts/install-deps.sh (Debian: libopenblas-openmp-dev))
endif
OB_CFLAGS := $(shell PKG_CONFIG_PATH=$(OB_PC) pkg-config --cflags openblas)
OB_LIBDIR := $(shell PKG_CONFIG_PATH=$(OB_PC) pkg-config --variable=libdir openblas)
OB_LIBS := $(shell PKG_CONFIG_PATH=$(OB_PC) pkg-config --libs openblas) -Wl,-rpath,$(OB_LIBDIR)

# libyaml (problem files) and libpng (figures), both Debian packages.
EXT_PC := yaml-0.1 libpng fftw3
ifneq ($(shell pkg-config --exists $(EXT_PC) && echo yes),yes)
$(error libyaml, libpng or fftw3 not found by pkg-config: run scripts/install-deps.sh (Debian: libyaml-dev libpng-dev libfftw3-dev))
endif
EXT_CFLAGS := $(shell pkg-config --cflags $(EXT_PC))
# libfftw3_threads (same Debian package) for fftw_make_planner_thread_safe
EXT_LIBS := $(shell pkg-config --libs $(EXT_PC)) -lfftw3_threads

OPT ?= -O3 -march=x86-64-v3 -mtune=native -ffp-contract=fast
WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wno-format-truncation
ifeq ($(WERROR),1)
WARN += -Werror
endif
CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -g $(OPT) -fopenmp $(WARN) -Iinclude -Isrc $(OB_CFLAGS) $(EXT_CFLAGS) $(CFLAGS_EXTRA)
LDLIBS := $(EXT_LIBS) $(OB_LIBS) -fopenmp -lm $(LDFLAGS_EXTRA)

LIB_SRC := $(wildcard src/core/*.c src/ad/*.c src/nn/*.c src/optim/*.c src/io/*.c src/pinn/*.c src/solvers/*.c src/operator/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

all: $(BUILD)/libnoether.a $(BUILD)/noether $(BUILD)/bench_step $(BUILD)/gemm_peak

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libnoether.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	ar rcs $@ $^

$(BUILD)/noether: $(BUILD)/src/cli/main.o $(BUILD)/libnoether.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/bench_step: $(BUILD)/bench/step.o $(BUILD)/libnoether.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/gemm_peak: $(BUILD)/bench/gemm_peak.o
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/tests/harness.o $(BUILD)/libnoether.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

tests-build: $(TEST_BIN)

test: $(TEST_BIN) $(BUILD)/noether
	@NT_NOETHER=$(BUILD)/noether scripts/run-tests.sh $(BUILD) $(TEST_BIN)

asan-test:
	NT_TEST_QUICK=1 $(MAKE) BUILD=build-asan \
	  OPT="-O1 -march=x86-64-v3 -ffp-contract=fast -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDFLAGS_EXTRA="-fsanitize=address,undefined" test

clean:
	rm -rf $(BUILD) build-asan

.PHONY: all test asan-test tests-build clean
.PRECIOUS: $(BUILD)/%.o $(BUILD)/tests/%.o
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
