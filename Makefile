# medcap - build, test and install.
#
#   make            build every program into bin/
#   make check      C unit tests, then the bats suite
#   make check SANITIZE=1   the same, built with AddressSanitizer and UBSan into bin-san/
#   make demo       caption the example images with the shipped model
#   make fuzz FUZZ_SECONDS=N   run each libFuzzer harness of tests/fuzz/ N seconds (clang)
#   make fuzz-smoke  every harness 30 seconds, two at a time (CI)
#   make install PREFIX=/usr/local   (DESTDIR too; make uninstall PREFIX=... removes it)
#   make deps       install the Debian packages the build needs (when missing)
#
# Programs: filters/NAME.c (plus its private code filters/NAME/*.c, archived
# as $(BIN)/obj/filters/NAME/libNAME.a) becomes $(BIN)/medcap-NAME;
# filters/medcap.c is the dispatcher $(BIN)/medcap.  model/*/*.c is the shared
# library (layers in model/README); model/io/dicom.cpp (DICOM through GDCM)
# is the shared object $(BIN)/lib/medcap-dicom.so, which the programs in
# DICOM_PROGS load at their first DICOM file (model/io/dicom_so.h).
# tests/unit/test_*.c are the unit tests;
# they link the library and every program's private archive.

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
CXX ?= g++
PKGS = vips libcjson zlib openblas

# V=1 shows whole compiler command lines.
Q = $(if $(V),,@)

ifeq ($(SANITIZE),1)
BIN ?= bin-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT = -O1
else
BIN ?= bin
SANFLAGS =
OPT = -O2
endif

CFLAGS_ALL = -std=c11 $(OPT) -g -Wall -Wextra -Werror -pthread $(SANFLAGS) \
	-DMEDCAP_SHARE='"$(PREFIX)/share/medcap"' \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null) -Imodel -Ifilters -MMD -MP $(CFLAGS)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -pthread $(SANFLAGS) $(LDLIBS)
# GDCM has no pkg-config file; '=' so the folder is looked up after make deps.
GDCM_INC = $(firstword $(wildcard /usr/include/gdcm-*))
CXXFLAGS_ALL = -std=c++17 $(OPT) -g -Wall -Wextra -Werror -pthread -fPIC $(SANFLAGS) \
	-isystem $(GDCM_INC) -Imodel -MMD -MP $(CXXFLAGS)
GDCM_LIBS = -lgdcmMSFF -lgdcmDSED -lgdcmCommon

LIB_SRC := $(sort $(wildcard model/*/*.c))
LIB_OBJ := $(patsubst %.c,$(BIN)/obj/%.o,$(LIB_SRC))
LIB := $(BIN)/obj/libmedcap.a
# DICOM: the shared object with GDCM behind it (installed as
# PREFIX/lib/medcap/medcap-dicom.so; model/io/dicom_load.c finds it), and
# what the programs that load it link: the limit on GDCM's allocations
# (a replacement of operator new, so with the C++ runtime) and the
# functions of theirs the shared object calls, exported.
DCM_SO := $(BIN)/lib/medcap-dicom.so
DCM_ALLOC := $(BIN)/obj/model/io/dicom_alloc.o
DCM_EXPORTS := mc_die mc_dcm_cap_begin mc_dcm_cap_end mc_dcm_cap_refused
DICOM_PROGS := img-resize csv-clean

PROG_NAMES := $(filter-out medcap,$(patsubst filters/%.c,%,$(wildcard filters/*.c)))
PRIV_DIRS := $(patsubst filters/%/,%,$(sort $(dir $(wildcard filters/*/*.c))))
PRIV_LIBS := $(foreach d,$(PRIV_DIRS),$(BIN)/obj/filters/$(d)/lib$(d).a)
PROGS := $(BIN)/medcap $(addprefix $(BIN)/medcap-,$(PROG_NAMES))
# medcap-train-mpi: filters/train.c built with -DMEDCAP_MPI by Debian's
# OpenMPI wrapper, only where mpicc is installed (make deps does not install
# it; plain make builds everything else without it).
MPICC := $(shell command -v mpicc 2>/dev/null)
MPI_PROGS := $(if $(MPICC),$(BIN)/medcap-train-mpi)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNITS := $(patsubst tests/unit/%.c,$(BIN)/test/%,$(UNIT_SRC))
DEBS = jq python3 python3-numpy man-db libgdcm-dev libvips-dev libopenblas-dev libcjson-dev zlib1g-dev pkg-config bats bats-assert bats-support
DEPS_STAMP := .deps-ok

.PHONY: all check unit bats install uninstall deps demo clean bench fuzz fuzz-build fuzz-smoke
.SECONDEXPANSION:
.DELETE_ON_ERROR:
.SECONDARY:

all: $(DEPS_STAMP) $(PROGS) $(DCM_SO) $(MPI_PROGS) $(BIN)/medcap-caption-dir $(BIN)/medcap-caption-many $(UNITS)

# The nightly job and the sharded run beside the programs, so that "medcap
# caption-dir" and "medcap caption-many" work in the source tree as after
# make install.
$(BIN)/medcap-caption-%: examples/caption-%.sh
	@mkdir -p $(BIN)
	ln -sf ../examples/caption-$*.sh $@

# Install missing Debian packages once; the stamp records success.
$(DEPS_STAMP):
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi; touch $@

deps:
	@rm -f $(DEPS_STAMP); $(MAKE) --no-print-directory $(DEPS_STAMP)

# Header dependencies come from the compiler (-MMD -MP: the .d files).
$(BIN)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BIN)/obj/%.o: %.cpp | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CXX     $<")
	$(Q)$(CXX) $(CXXFLAGS_ALL) -c -o $@ $<

# AdamW's elementwise loop is a large share of a contrastive training step:
# let the compiler vectorise it (sqrtf need not set errno; IEEE results are
# the same as the scalar loop's).
$(BIN)/obj/model/nn/adamw.o: CFLAGS += -O3 -fno-math-errno

# img-resize starts libvips without its modules and loads them itself with
# GModule (linked below), from libvips's libdir, before the first image that
# may need one (filters/img-resize/image.c).
$(BIN)/obj/filters/img-resize/image.o: CFLAGS_ALL += -DMEDCAP_VIPS_LIBDIR='"$(shell pkg-config --variable=libdir vips 2>/dev/null)"'

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(DCM_SO): $(BIN)/obj/model/io/dicom.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CXX) -shared -o $@ $^ $(GDCM_LIBS) -pthread $(SANFLAGS)

comma := ,
$(addprefix $(BIN)/medcap-,$(DICOM_PROGS)): $(DCM_ALLOC) | $(DCM_SO)
$(addprefix $(BIN)/medcap-,$(DICOM_PROGS)): EXTRA_LIBS = -lstdc++ \
	$(foreach s,$(DCM_EXPORTS),-Wl$(comma)--export-dynamic-symbol=$(s))
$(BIN)/medcap-img-resize $(UNITS): EXTRA_LIBS += $(shell pkg-config --libs gmodule-2.0 2>/dev/null)

# A program's private code: one archive per filters/NAME/ folder.
priv_objs = $(patsubst %.c,$(BIN)/obj/%.o,$(wildcard filters/$(1)/*.c))
$(BIN)/obj/filters/%.a: $$(call priv_objs,$$(firstword $$(subst /, ,$$*)))
	@rm -f $@
	ar rcs $@ $^

$(BIN)/medcap: $(BIN)/obj/filters/medcap.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(LDLIBS_ALL)

$(BIN)/medcap-%: $(BIN)/obj/filters/%.o $$(if $$(wildcard filters/$$*/*.c),$(BIN)/obj/filters/$$*/lib$$*.a) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(EXTRA_LIBS) $(LDLIBS_ALL)

$(BIN)/obj/filters/train-mpi.o: filters/train.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MPICC   $<")
	$(Q)OMPI_CC=$(CC) $(MPICC) $(CFLAGS_ALL) -DMEDCAP_MPI -c -o $@ $<

$(BIN)/medcap-train-mpi: $(BIN)/obj/filters/train-mpi.o $(BIN)/obj/filters/train/libtrain.a $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)OMPI_CC=$(CC) $(MPICC) -o $@ $^ $(LDLIBS_ALL)

$(BIN)/test/%: $(BIN)/obj/tests/unit/%.o $(PRIV_LIBS) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ $(EXTRA_LIBS) $(LDLIBS_ALL)

check: unit bats

unit: all
	@set -e; for t in $(UNITS); do echo "== $$t"; OPENBLAS_NUM_THREADS=1 ./$$t; done

# The sanitized run leaves out the packaging tests (make install, and the
# README and man page examples run as a newcomer would) and the sharding
# script's (caption-many: hundreds of stage start-ups): they test files and
# shell, and their programs are under the sanitizers in their own tests.
SAN_SKIP := tests/install.bats tests/examples.bats tests/caption-many.bats
BATS_FILES := $(if $(filter 1,$(SANITIZE)),$(filter-out $(SAN_SKIP),$(sort $(wildcard tests/*.bats))),tests/)

# Two test files at a time (bats --jobs, which needs GNU parallel; the tests
# are single-threaded and each works in its own temporary folder): close to
# half the wall time on two cores.  The tests of one file run in turn: bats
# 1.8 hands out its slots for tests within a file by polling with sleep 1,
# so a core can idle up to a second after each of the ~450 short tests.
# Without GNU parallel, or with BATS_JOBS=1, one file at a time.  (A file
# whose tests share something one of them changes also sets
# BATS_NO_PARALLELIZE_WITHIN_FILE=true, for a bats run by hand.)
BATS_JOBS ?= 2
BATS_PARALLEL = $(shell parallel --version 2>/dev/null | grep -q 'GNU parallel' && echo yes)
BATS_FLAGS = $(if $(and $(BATS_PARALLEL),$(filter-out 0 1,$(BATS_JOBS))),--jobs $(BATS_JOBS) --no-parallelize-within-files)

bats: all
	MEDCAP_BIN=$(CURDIR)/$(BIN) bats $(BATS_FLAGS) $(BATS_FILES)

bench: all
	@for b in bench/*.sh; do echo "== $$b"; bash $$b || exit 1; done

demo: all
	@MEDCAP_BIN=$(CURDIR)/$(BIN) bash examples/demo.sh

# make install: the programs, and examples/caption-dir.sh and caption-many.sh
# as medcap-caption-dir and medcap-caption-many, in PREFIX/bin; the DICOM
# reader in PREFIX/lib/medcap (the programs find it from PREFIX/bin); the man
# pages; share/medcap (the models); the examples in
# PREFIX/share/medcap/examples; the bash completion
# (PREFIX/share/bash-completion/completions/medcap, and a link to it for each
# medcap-NAME).  Nothing is rebuilt for another PREFIX or a DESTDIR: the
# programs find the model relative to themselves (bin/../share/medcap,
# mc_share_path; the compiled-in MEDCAP_SHARE is only a last resort).  Every
# file written and every folder created is listed, relative to PREFIX
# (folders end in /), in PREFIX/share/medcap/install-manifest, which
# make uninstall reads to remove exactly those (and the manifest).
INSTALL_ROOT = $(DESTDIR)$(PREFIX)
INSTALL_MANIFEST = share/medcap/install-manifest
COMPLETIONS = share/bash-completion/completions
# "MODE SOURCE TARGET", TARGET relative to PREFIX; MODE x: 755 if SOURCE is
# executable, else 644; MODE link: TARGET is a symbolic link to SOURCE.
INSTALL_FILES = \
	$(foreach p,$(PROGS),755 $(p) bin/$(notdir $(p))) \
	755 examples/caption-dir.sh bin/medcap-caption-dir \
	755 examples/caption-many.sh bin/medcap-caption-many \
	$(foreach p,$(MPI_PROGS),755 $(p) bin/$(notdir $(p))) \
	644 $(DCM_SO) lib/medcap/$(notdir $(DCM_SO)) \
	644 python/medcap_frames.py share/medcap/python/medcap_frames.py \
	$(foreach m,$(wildcard man/*.[157]),644 $(m) share/man/man$(patsubst .%,%,$(suffix $(m)))/$(notdir $(m))) \
	$(foreach f,$(wildcard share/medcap/* share/medcap/*/*),$(if $(wildcard $(f)/.),,644 $(f) $(f))) \
	$(foreach f,$(filter-out %.pyc,$(wildcard examples/* examples/*/*)),$(if $(wildcard $(f)/.),,x $(f) share/medcap/$(f))) \
	644 share/bash-completion/medcap $(COMPLETIONS)/medcap \
	$(foreach n,$(PROG_NAMES) caption-dir caption-many,link medcap $(COMPLETIONS)/medcap-$(n))

install: all
	@set -e; root='$(INSTALL_ROOT)'; last=; list=$$(mktemp); trap 'rm -f "$$list"' EXIT; \
	mkdir -p "$$root"; \
	if [ -f "$$root/$(INSTALL_MANIFEST)" ]; then cat "$$root/$(INSTALL_MANIFEST)" > "$$list"; fi; \
	printf '%s %s %s\n' $(INSTALL_FILES) | while read -r mode src dst; do \
	  if [ "$${dst%/*}" != "$$last" ]; then last=$${dst%/*}; d=; \
	    for c in $$(echo "$$last" | tr / ' '); do d=$$d$$c/; \
	      if [ ! -d "$$root/$$d" ]; then mkdir "$$root/$$d"; echo "$$d" >> "$$list"; fi; \
	    done; \
	  fi; \
	  $(if $(Q),echo "  INSTALL $$dst";) \
	  case $$mode in \
	  link) ln -sfn "$$src" "$$root/$$dst" ;; \
	  x) if [ -x "$$src" ]; then install -m 755 "$$src" "$$root/$$dst"; \
	     else install -m 644 "$$src" "$$root/$$dst"; fi ;; \
	  *) install -m "$$mode" "$$src" "$$root/$$dst" ;; \
	  esac; \
	  echo "$$dst" >> "$$list"; \
	done; \
	echo "$(INSTALL_MANIFEST)" >> "$$list"; \
	LC_ALL=C sort -u "$$list" > "$$root/$(INSTALL_MANIFEST)"; chmod 644 "$$root/$(INSTALL_MANIFEST)"; \
	echo "installed in $$root; make uninstall$(if $(DESTDIR), DESTDIR=$(DESTDIR)) PREFIX=$(PREFIX) removes it"

uninstall:
	@root='$(INSTALL_ROOT)'; m="$$root/$(INSTALL_MANIFEST)"; \
	if [ ! -f "$$m" ]; then echo "make uninstall: no $$m: nothing of medcap installed there" >&2; exit 1; fi; \
	list=$$(cat "$$m"); \
	printf '%s\n' "$$list" | grep -v '/$$' | while IFS= read -r f; do \
	  $(if $(Q),echo "  RM      $$f";) rm -f "$$root/$$f"; done; \
	printf '%s\n' "$$list" | grep '/$$' | LC_ALL=C sort -r | while IFS= read -r d; do \
	  rmdir "$$root/$$d" 2>/dev/null || echo "make uninstall: $$root/$$d is not empty, left there" >&2; done

# Fuzzing: tests/fuzz/fuzz_NAME.c, a libFuzzer harness, becomes
# bin-fuzz/fuzz_NAME (clang, ASan and UBSan, the library built into
# bin-fuzz/obj); make fuzz runs each for FUZZ_SECONDS seconds from its seed
# corpus tests/fuzz/corpus/NAME/ (new inputs go to bin-fuzz/corpus/NAME/,
# a crash to bin-fuzz/crashes/NAME-*, and the run stops with its report);
# make fuzz-smoke runs each FUZZ_SMOKE_SECONDS, two at a time.
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 30
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_LIBS = $(BIN)/obj/filters/score/libscore.a $(BIN)/obj/filters/csv-clean/libcsv-clean.a \
	$(BIN)/obj/filters/retrieve/libretrieve.a

fuzz-build:
	@$(MAKE) --no-print-directory BIN=bin-fuzz CC=clang OPT=-O1 CFLAGS=-DGZIN_BUF=4096 \
	  SANFLAGS="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" $(addprefix bin-fuzz/fuzz_,$(FUZZ_NAMES))

bin-fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(FUZZ_LIBS) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIBS) $(LIB) $(LDLIBS_ALL)

fuzz: fuzz-build
	@$(MAKE) --no-print-directory -j1 $(addprefix fuzz-run-,$(FUZZ_NAMES))

# On both cores: the build, then two harnesses at a time (no -j needed).
fuzz-smoke:
	@$(MAKE) --no-print-directory -j2 fuzz-build
	@$(MAKE) --no-print-directory -j2 FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) $(addprefix fuzz-run-,$(FUZZ_NAMES))

# One harness for FUZZ_SECONDS seconds, its log in bin-fuzz/fuzz_NAME.log;
# a crash prints the log's end and fails.  ASan's quarantine of freed memory
# is 16 MB, not 256: fresh pages for every allocation made the harnesses
# 1.5 to 2.5 times slower, and one input frees far less than 16 MB.
FUZZ_ASAN_OPTIONS ?= quarantine_size_mb=16
fuzz-run-%:
	@mkdir -p bin-fuzz/corpus/$* bin-fuzz/crashes
	@ASAN_OPTIONS=$(FUZZ_ASAN_OPTIONS) bin-fuzz/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -timeout=10 -close_fd_mask=3 -print_final_stats=1 \
	    -artifact_prefix=bin-fuzz/crashes/$*- bin-fuzz/corpus/$* tests/fuzz/corpus/$* \
	    > bin-fuzz/fuzz_$*.log 2>&1 || { echo "== fuzz_$* FAILED"; tail -n 60 bin-fuzz/fuzz_$*.log; exit 1; }
	@{ echo "== fuzz_$* ($(FUZZ_SECONDS) s)"; \
	   grep -E 'DONE|stat::number_of_executed_units|stat::peak_rss_mb' bin-fuzz/fuzz_$*.log; }

clean:
	rm -rf bin bin-san bin-fuzz

-include $(shell find $(BIN)/obj -name '*.d' 2>/dev/null)
