# rpvault - build, test, fuzz and package.
#
#   make            build build/rpvault (hardened release binary)
#   make demo       the main job: pack a sample runpack, export it to the
#                   default file store, verify it from the store
#   make check      every test: cmocka units + system tests on the real binary
#   make check SANITIZE=address,undefined   the same under ASan/UBSan
#   make deps       install missing build dependencies (apt, as root)
#
# Sources are found by wildcard: a new src/**/*.c, sandbox/*.c or
# tests/unit/test_*.c is built without editing this file.

CC       ?= cc
SANITIZE ?=
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

ifeq ($(SANITIZE),)
BUILD    ?= build
SANFLAGS :=
else
BUILD    ?= build-san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all \
            -DRP_SANITIZER_BUILD=1
endif

WARN     := -Wall -Wextra -Werror -Wconversion -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wvla -Wno-missing-field-initializers -Wno-format-truncation
HARDEN   := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection \
            -fcf-protection -fPIE
CFLAGS   ?= -O2 -g
ALLCFLAGS = -std=c17 -D_GNU_SOURCE -DRPVAULT_VERSION='"$(VERSION)"' $(WARN) $(HARDEN) \
            $(CFLAGS) $(SANFLAGS) -Isrc -Isandbox -I$(BUILD)/gen -MMD -MP
LDHARDEN := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack
LIBS     := -lbearssl -lseccomp -lcap-ng

MAIN_SRC := src/broker/main.c
LIB_SRCS := $(filter-out $(MAIN_SRC),$(wildcard src/common/*.c src/child/*.c src/broker/*.c sandbox/*.c))
GEN_SRCS := $(BUILD)/gen/policy_table.c $(BUILD)/gen/policy_bpf.c
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS)) $(BUILD)/obj/gen/policy_table.o \
            $(BUILD)/obj/gen/policy_bpf.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TEST_HELPER_SRCS := $(wildcard tests/unit/helpers/*.c)
TEST_HELPER_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_HELPER_SRCS))

.PHONY: all deps demo check check-unit check-system clean bench

all: $(BUILD)/rpvault

$(BUILD)/rpvault: $(BUILD)/obj/$(MAIN_SRC:.c=.o) $(LIB_OBJS)
	@echo "  CCLD    $@"
	@$(CC) $(ALLCFLAGS) $(LDHARDEN) -o $@ $^ $(LIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALLCFLAGS) -c -o $@ $<

# The seccomp allowlist is generated from the reviewed policy text so the
# two cannot drift (policy/README.md).
$(BUILD)/gen/policy_table.c: policy/child.policy policy/gen-policy.awk
	@mkdir -p $(dir $@)
	awk -f policy/gen-policy.awk policy/child.policy > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/policy_table.o: $(BUILD)/gen/policy_table.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -c -o $@ $<

# The child's BPF program is compiled once, here, by libseccomp from that
# table (policy/gen-bpf.c, sharing sandbox/seccomp_build.c with the
# run-time drift check), so no child runs libseccomp's compiler. The tool
# runs on the build machine: built without sanitizers, for the native
# architecture, which sandbox_init checks at run time.
GEN_BPF_SRCS := policy/gen-bpf.c sandbox/seccomp_build.c src/common/err.c
$(BUILD)/gen/gen-bpf: $(GEN_BPF_SRCS) sandbox/seccomp_build.h sandbox/policy.h $(BUILD)/gen/policy_table.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -D_GNU_SOURCE $(WARN) -O2 -Isrc -Isandbox -o $@ $(GEN_BPF_SRCS) \
		$(BUILD)/gen/policy_table.c -lseccomp

$(BUILD)/gen/policy_bpf.c: $(BUILD)/gen/gen-bpf
	$(BUILD)/gen/gen-bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/policy_bpf.o: $(BUILD)/gen/policy_bpf.c sandbox/policy_bpf.h
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) $(TEST_HELPER_OBJS)
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(ALLCFLAGS) -Wno-conversion -Itests/unit $(LDHARDEN) -o $@ $^ $(LIBS) -lcmocka

deps:
	@sh tests/deps.sh

demo: deps $(BUILD)/rpvault
	@sh tests/demo.sh $(CURDIR)/$(BUILD)/rpvault

check: deps $(BUILD)/rpvault $(UNIT_BINS)
	@sh tests/run-all.sh $(BUILD)

check-unit: $(UNIT_BINS)
	@sh tests/run-all.sh $(BUILD) unit

check-system: $(BUILD)/rpvault
	@sh tests/run-all.sh $(BUILD) system

bench: $(BUILD)/rpvault
	@sh bench/verify.sh $(BUILD)/rpvault
	@sh bench/privsep.sh $(BUILD)

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Packaging (make deb, make rpm, make dist) and fuzzing (make fuzz,
# make fuzz-smoke) live beside their files.
-include packaging/packaging.mk
-include fuzz/fuzz.mk
