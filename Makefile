# ringvm — one Makefile. `make` builds ./ringvm; MODE=dbg|asan|ubsan.
MODE ?= rel
CC ?= cc
BUILD := build/$(MODE)
PY := /usr/bin/python3

CFLAGS_COMMON := -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	-Iinclude -Isrc -pthread -g -D_GNU_SOURCE -MMD -MP
ifeq ($(MODE),rel)
  CFLAGS_MODE := -O2
else ifeq ($(MODE),dbg)
  CFLAGS_MODE := -O0 -DRINGVM_DEBUG
else ifeq ($(MODE),asan)
  CFLAGS_MODE := -O1 -fsanitize=address -fno-omit-frame-pointer
  LDFLAGS_MODE := -fsanitize=address
else ifeq ($(MODE),ubsan)
  CFLAGS_MODE := -O1 -fsanitize=undefined -fno-sanitize-recover=undefined
  LDFLAGS_MODE := -fsanitize=undefined
else
  $(error MODE must be rel, dbg, asan or ubsan)
endif
CFLAGS += $(CFLAGS_COMMON) $(CFLAGS_MODE)
LDFLAGS += -pthread $(LDFLAGS_MODE)
LDLIBS += -lZydis -lz -llzma -llz4 -lzstd -lm

# Every .c under src/ except the CLI entry point goes into the library the
# unit tests link against.
LIB_SRCS := $(sort $(shell find src -name '*.c' ! -path 'src/cli/main.c'))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/src/cli/main.o
LIB := $(BUILD)/libringvm.a

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)

.PHONY: all clean test unit guests guest run deps bench check-headers diff fuzz FORCE
all: ringvm

# Each MODE links its own binary; ./ringvm is whichever was built last
# (compared, not timestamped: a release build after an asan one must
# replace it even though the release objects are older).
$(BUILD)/ringvm: $(MAIN_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

ringvm: $(BUILD)/ringvm FORCE
	@cmp -s $< $@ || cp $< $@

FORCE:

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MF $@.d -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS) -lcmocka

unit: $(UNIT_BINS)

# Each public header must compile on its own.
check-headers:
	@for h in include/ringvm/*.h; do \
		echo "#include \"$${h#include/}\"" | $(CC) $(CFLAGS_COMMON) -fsyntax-only -x c - || exit 1; \
	done; echo "headers: ok"

# Tiny freestanding test guests (multiboot ELF).
guests:
	$(MAKE) -C tests/guests

# The default guest: Debian's cloud kernel + a busybox initramfs.
guest:
	tools/mkguest.sh build/guest

deps:
	tools/deps.sh

diff: $(LIB)
	$(MAKE) -C tests/diff LIB=../../$(LIB) BUILD=../../$(BUILD)/tests/diff

test: deps all unit guests check-headers diff
	tools/mkguest.sh build/guest
	RINGVM=$(CURDIR)/ringvm BUILD=$(CURDIR)/$(BUILD) $(PY) -m pytest -q tests

run: deps all
	tools/mkguest.sh build/guest
	./ringvm run --kernel build/guest/vmlinuz --initrd build/guest/initramfs.cpio.gz \
		--append "console=ttyS0" --mem 256M

bench: deps all guests
	bench/run.sh

clean:
	rm -rf build ringvm
	$(MAKE) -C tests/guests clean

-include $(LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_BINS:=.d)
