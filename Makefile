# traceshim - non-recursive build.
#
#   make                 build/libtraceshim.so
#   make check           the whole test suite (plain, clang, TSan ring test, ASan+UBSan)
#   make SANITIZER=address,undefined   sanitized build in build/address-undefined/
#   make CC=clang        build with clang
#   make V=1             show commands
#
# Build output goes under $(BUILD); nothing is written elsewhere.

CC        ?= cc
SANITIZER ?=
V         ?= 0
comma     := ,

ifeq ($(SANITIZER),)
BUILD     ?= build
else
BUILD     ?= build/$(subst $(comma),-,$(SANITIZER))
endif

Q := $(if $(filter 1,$(V)),,@)

WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	    -Wpointer-arith -Wformat=2 -Wno-unused-parameter
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -fPIC -fvisibility=hidden -fno-strict-aliasing $(WARN)
CFLAGS   += $(if $(CI),-Werror,)
CPPFLAGS += -D_GNU_SOURCE -MMD -MP
LDLIBS_LIB := -ldl -lpthread

ifneq ($(SANITIZER),)
CFLAGS   += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=$(SANITIZER)
else
LIB_LDFLAGS := -Wl,--no-undefined
endif

CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

# Library: everything under preload/, hooks/, reporter/.
LIB_SRCS  := $(sort $(wildcard preload/*.c hooks/*.c reporter/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
# Core: the library minus the process entry and the files that define
# exported libc or libcurl names, for unit tests (which must not interpose
# libc).
CORE_OBJS := $(filter-out $(BUILD)/obj/preload/entry.o $(BUILD)/obj/hooks/sockets.o \
	$(BUILD)/obj/hooks/process.o $(BUILD)/obj/hooks/threads.o \
	$(BUILD)/obj/hooks/signals.o $(BUILD)/obj/hooks/curl.o \
	$(BUILD)/obj/hooks/spawn.o,$(LIB_OBJS))
LIB       := $(BUILD)/libtraceshim.so
LIB_A     := $(BUILD)/libtraceshim-internal.a
MAP       := preload/libtraceshim.map

UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_BIN  := $(BUILD)/tests/unit-tests

HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))
HELPER_BINS := $(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/tests/%)

# Plain programs the tests run under LD_PRELOAD (no shim linked in).
APP_SRCS := $(sort $(wildcard tests/apps/*.c))
APP_BINS := $(APP_SRCS:tests/apps/%.c=$(BUILD)/tests/apps/%)

# The seed demos' services, and the traceshim command: their own rules.
include cli/cli.mk
include testapps/testapps.mk

.PHONY: all deps lib tests check check-plain check-clang check-asan check-tsan \
	check-static unit integration bench clean testapps cli demo demo-build install uninstall
.DEFAULT_GOAL := all
# Keep intermediate objects (helpers link from them; no "rm" noise at the end).
.SECONDARY:

# deps first, then a fresh make: pkg-config answers only once `check` is in.
all: deps
	$(Q)$(MAKE) --no-print-directory lib tests

deps:
	$(Q)scripts/install-deps

lib: $(LIB)
tests: $(UNIT_BIN) $(HELPER_BINS) $(APP_BINS) $(TESTAPP_BINS) $(CLI)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS) $(MAP)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared $(LDFLAGS) $(LIB_LDFLAGS) -Wl,--version-script=$(MAP) \
		-Wl,-z,nodelete -Wl,-soname,libtraceshim.so -o $@ $(LIB_OBJS) $(LDLIBS_LIB)

$(LIB_A): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(UNIT_BIN): $(UNIT_OBJS) $(CORE_OBJS) $(CLI_CORE_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(UNIT_OBJS) $(CORE_OBJS) $(CLI_CORE_OBJS) $(CHECK_LIBS) $(LDLIBS_LIB)

# Helper programs link the whole shim in (constructor, hooks and all), so
# they behave exactly like a preloaded process while calling span APIs.
$(BUILD)/tests/%: $(BUILD)/obj/tests/helpers/%.o $(LIB_A)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< -Wl,--whole-archive $(LIB_A) -Wl,--no-whole-archive $(LDLIBS_LIB)

# Built fortified on purpose: its read()/recv() must reach the _chk hooks.
$(BUILD)/obj/tests/apps/fortified.o: CFLAGS += -O2 -D_FORTIFY_SOURCE=2

# libcurl test programs link libcurl (the library itself never does).
$(BUILD)/tests/apps/curl_%: APP_LIBS := -lcurl

$(BUILD)/tests/apps/%: $(BUILD)/obj/tests/apps/%.o
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(APP_LIBS) -ldl -lpthread

# --- tests -----------------------------------------------------------------

unit: $(UNIT_BIN)
	$(Q)CK_DEFAULT_TIMEOUT=120 $(UNIT_BIN)

integration: $(LIB) $(HELPER_BINS) $(APP_BINS) $(TESTAPP_BINS) $(CLI)
	$(Q)BUILD=$(BUILD) SANITIZER=$(SANITIZER) tests/run-integration

check-static: $(LIB)
	$(Q)scripts/check-exports $(LIB) $(MAP)
	$(Q)scripts/check-real $(MAP)

check-plain: all
	$(Q)$(MAKE) --no-print-directory check-static unit integration

# The library and tests also build warning-free with clang.
check-clang: deps
	$(Q)$(MAKE) --no-print-directory CC=clang BUILD=build/clang CI=$(or $(CI),1) lib tests

check-asan: deps
	$(Q)$(MAKE) --no-print-directory SANITIZER=address,undefined lib tests unit integration

check-tsan: deps
	$(Q)$(MAKE) --no-print-directory SANITIZER=thread tests
	$(Q)CK_RUN_SUITE=ring CK_DEFAULT_TIMEOUT=300 TSAN_OPTIONS=halt_on_error=1 \
		build/thread/tests/unit-tests

# Ordered so the last line printed is the sanitizer pass's test summary.
check:
	$(Q)$(MAKE) --no-print-directory check-plain
	$(Q)$(MAKE) --no-print-directory check-clang
	$(Q)$(MAKE) --no-print-directory check-tsan
	$(Q)$(MAKE) --no-print-directory check-asan

# Benchmarks: figures for BENCHMARKS.md (not part of make check).
bench: all
	$(Q)scripts/bench-nginx $(or $(ROUNDS),3) $(or $(SECONDS),5)
	$(Q)scripts/bench-jaeger
	$(Q)scripts/bench-export $(or $(ROUNDS),3)
	$(Q)scripts/bench-memory

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
