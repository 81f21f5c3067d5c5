# fuzz/fuzz.mk - fuzzing and memory-checking targets (included by Makefile).
#
#   make fuzz-build                  every harness, three builds in build-fuzz/:
#                                      afl/     afl-clang-fast + ASan + UBSan (the fuzzed binaries)
#                                      cmplog/  afl-clang-fast CmpLog build (afl-fuzz -c)
#                                      replay/  clang + ASan + UBSan + LeakSanitizer, plain
#                                               replay main (crash reproduction, leak check)
#   make fuzz-smoke [FUZZ_SECONDS=60]  every harness for FUZZ_SECONDS; fails on any
#                                    crash, hang, or leak when the queue is replayed
#   make fuzz FUZZ_SECONDS=1800      a longer campaign, same figures
#   make fuzz-regress                replay the corpora and tests/regressions/<harness>/
#                                    through the replay build (fails on any report)
#   make fuzz-cmin                   minimise fuzz/corpus/<harness>/ with afl-cmin
#   make fuzz-libfuzzer              the same harnesses as libFuzzer binaries (build-fuzz/libfuzzer/)
#   make check-valgrind              system tests with the binary under valgrind memcheck
#
# Knobs: FUZZ_HARNESSES="verify path" (default: every fuzz/harness_*.c),
# FUZZ_JOBS=2 (harnesses run in parallel), FUZZ_TIMEOUT=2000 (ms per input,
# longer is a hang), FUZZ_CMPLOG=0 (skip the CmpLog build/use),
# RP_FUZZ_KNOWN="report-utf8 ..." (skip the property checks of known bugs
# whose fix is pending, so a campaign looks for new ones; the regression
# replay ignores it).
# docs/security/fuzzing.md explains the harnesses and how to run a campaign.

FUZZ_BUILD    ?= build-fuzz
FUZZ_SECONDS  ?= 60
FUZZ_JOBS     ?= 1
FUZZ_TIMEOUT  ?= 2000
FUZZ_CMPLOG   ?= 1
FUZZ_AFL_CC   ?= afl-clang-fast
FUZZ_CC       ?= clang

FUZZ_ALL_HARNESSES := $(patsubst fuzz/harness_%.c,%,$(wildcard fuzz/harness_*.c))
FUZZ_HARNESSES     ?= $(FUZZ_ALL_HARNESSES)

# The library the harnesses link: src/ minus main.c, plus only the frame
# protocol pieces of sandbox/ (no confinement, no seccomp, no fork). Linked
# as a static archive so each harness pulls only the objects it uses.
FUZZ_SANDBOX_SRCS := $(wildcard $(addprefix sandbox/,frame.c proto.c broker_serve.c child_io.c job_validate.c))
FUZZ_LIB_SRCS := $(filter-out $(MAIN_SRC),$(wildcard src/common/*.c src/child/*.c src/broker/*.c)) \
                 $(FUZZ_SANDBOX_SRCS)

# Own flags: no _FORTIFY_SOURCE (it conflicts with ASan's interceptors),
# no -Werror (clang warns differently from the release compiler), the
# sanitizers abort on the first report so AFL records a crash.
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c17 -D_GNU_SOURCE -U_FORTIFY_SOURCE -DRPVAULT_VERSION='"$(VERSION)"' \
               -DRP_FUZZ_BUILD=1 -O2 -g -Wall -Wextra -Isrc -Isandbox -MMD -MP
FUZZ_LIBS   := -lbearssl

FUZZ_FLAVOURS := afl replay
ifneq ($(FUZZ_CMPLOG),0)
FUZZ_FLAVOURS += cmplog
endif

# $(call fuzz_flavour,NAME,CC,ENV,EXTRA_CFLAGS)
define fuzz_flavour
$(FUZZ_BUILD)/$(1)/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	@echo "  CC-$(1)  $$<"
	@$(3) $(2) $(FUZZ_CFLAGS) $(4) -c -o $$@ $$<

$(FUZZ_BUILD)/$(1)/librpfuzz.a: $(patsubst %.c,$(FUZZ_BUILD)/$(1)/obj/%.o,$(FUZZ_LIB_SRCS))
	@rm -f $$@
	@ar rcs $$@ $$^

$(FUZZ_BUILD)/$(1)/%: $(FUZZ_BUILD)/$(1)/obj/fuzz/harness_%.o $(FUZZ_BUILD)/$(1)/obj/fuzz/afl_driver.o $(FUZZ_BUILD)/$(1)/librpfuzz.a
	@echo "  LD-$(1)  $$@"
	@$(3) $(2) $(4) -o $$@ $$^ $(FUZZ_LIBS)
endef

$(eval $(call fuzz_flavour,afl,$(FUZZ_AFL_CC),AFL_QUIET=1,$(FUZZ_SAN)))
$(eval $(call fuzz_flavour,cmplog,$(FUZZ_AFL_CC),AFL_QUIET=1 AFL_LLVM_CMPLOG=1,$(FUZZ_SAN)))
$(eval $(call fuzz_flavour,replay,$(FUZZ_CC),,$(FUZZ_SAN)))

# libFuzzer flavour (optional, make fuzz-libfuzzer): the same harnesses
# linked with -fsanitize=fuzzer instead of afl_driver.c, for reviewers who
# prefer libFuzzer (build-fuzz/libfuzzer/H -max_total_time=60 CORPUS_DIR).
$(FUZZ_BUILD)/libfuzzer/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC-libfuzzer  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/libfuzzer/librpfuzz.a: $(patsubst %.c,$(FUZZ_BUILD)/libfuzzer/obj/%.o,$(FUZZ_LIB_SRCS))
	@rm -f $@
	@ar rcs $@ $^

$(FUZZ_BUILD)/libfuzzer/%: $(FUZZ_BUILD)/libfuzzer/obj/fuzz/harness_%.o $(FUZZ_BUILD)/libfuzzer/librpfuzz.a
	@echo "  LD-libfuzzer  $@"
	@$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

FUZZ_BINS := $(foreach f,$(FUZZ_FLAVOURS),$(addprefix $(FUZZ_BUILD)/$(f)/,$(FUZZ_HARNESSES)))

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-deps fuzz-regress fuzz-cmin fuzz-libfuzzer check-valgrind
# Harness objects are intermediate files of the pattern rules: keep them.
.SECONDARY: $(foreach f,afl cmplog replay libfuzzer,$(FUZZ_BUILD)/$(f)/obj/fuzz/afl_driver.o \
              $(patsubst %,$(FUZZ_BUILD)/$(f)/obj/fuzz/harness_%.o,$(FUZZ_ALL_HARNESSES)))

# afl++ (Debian 12: 4.04c, clang-14) and clang; installed when missing and root.
fuzz-deps:
	@missing=""; \
	command -v $(FUZZ_AFL_CC) >/dev/null 2>&1 || missing="$$missing afl++"; \
	command -v $(FUZZ_CC) >/dev/null 2>&1 || missing="$$missing clang"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "fuzz: installing:$$missing"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "fuzz: missing:$$missing (run as root: apt-get install$$missing)" >&2; exit 1; \
		fi; \
	fi

fuzz-build: fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@echo "fuzz: built $(FUZZ_HARNESSES) in $(FUZZ_BUILD)/ ($(FUZZ_FLAVOURS))"

FUZZ_ENV = FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_JOBS=$(FUZZ_JOBS) FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) \
           FUZZ_CMPLOG=$(FUZZ_CMPLOG) RP_FUZZ_KNOWN="$(RP_FUZZ_KNOWN)"

# The smoke run first replays the corpora and every regression input (a
# crash fixed once must stay fixed), then fuzzes.
fuzz-smoke: fuzz-build
	@$(FUZZ_ENV) sh fuzz/run.sh regress 0 $(FUZZ_HARNESSES)
	@$(FUZZ_ENV) sh fuzz/run.sh smoke $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

fuzz: fuzz-build
	@$(FUZZ_ENV) sh fuzz/run.sh campaign $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

fuzz-regress: fuzz-deps
	@$(MAKE) --no-print-directory FUZZ_CMPLOG=0 $(addprefix $(FUZZ_BUILD)/replay/,$(FUZZ_HARNESSES))
	@FUZZ_BUILD=$(FUZZ_BUILD) RP_FUZZ_KNOWN= sh fuzz/run.sh regress 0 $(FUZZ_HARNESSES)

fuzz-libfuzzer: fuzz-deps
	@$(MAKE) --no-print-directory $(addprefix $(FUZZ_BUILD)/libfuzzer/,$(FUZZ_HARNESSES))

fuzz-cmin: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) sh fuzz/run.sh cmin 0 $(FUZZ_HARNESSES)

# valgrind over the system tests. The broker forks the confined child
# without exec, and valgrind always follows a fork (--trace-children only
# concerns execve), so the child runs under memcheck too; a seccomp filter
# would kill valgrind's own system calls in it. The binary checked here is
# therefore built like the sanitizer build: RP_SANITIZER_BUILD=1 selects
# the "none" sandbox backend and skips RLIMIT_AS/RLIMIT_NOFILE, nothing
# else changes, and both processes are checked (one log per process).
# run-all.sh runs $BUILD/rpvault, so that is a wrapper script around
# valgrind. The seccomp policy itself is exercised by the release build's
# system tests (make check).
VALGRIND       ?= valgrind
VG_BUILD       ?= $(FUZZ_BUILD)/valgrind
VALGRIND_FLAGS ?= --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
                  --show-leak-kinds=definite --trace-children=no --child-silent-after-fork=no \
                  --log-file=$(CURDIR)/$(VG_BUILD)/logs/vg.%p.log

check-valgrind:
	@command -v $(VALGRIND) >/dev/null 2>&1 || { echo "check-valgrind: valgrind not installed (apt-get install valgrind)" >&2; exit 1; }
	@$(MAKE) --no-print-directory BUILD=$(VG_BUILD) SANITIZE= CFLAGS="-O1 -g -DRP_SANITIZER_BUILD=1" $(VG_BUILD)/rpvault
	@rm -rf $(VG_BUILD)/logs $(VG_BUILD)/wrap && mkdir -p $(VG_BUILD)/logs $(VG_BUILD)/wrap
	@printf '#!/bin/sh\nexec %s %s %s "$$@"\n' '$(VALGRIND)' '$(VALGRIND_FLAGS)' '$(CURDIR)/$(VG_BUILD)/rpvault' >$(VG_BUILD)/wrap/rpvault
	@chmod +x $(VG_BUILD)/wrap/rpvault
	@sh tests/run-all.sh $(VG_BUILD)/wrap system; rc=$$?; \
	 sh fuzz/vg-summary.sh $(VG_BUILD)/logs || rc=1; exit $$rc

-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
