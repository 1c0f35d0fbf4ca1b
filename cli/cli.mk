# cli/cli.mk - the traceshim command, $(BUILD)/traceshim (included by the
# Makefile).  A plain program: it does not link the library; `run` finds
# libtraceshim.so next to itself or under ../lib/traceshim/.
#
# CLI_CORE_OBJS (all but main) are linked into the unit-test runner too.

CLI_SRCS      := $(sort $(wildcard cli/*.c))
CLI_OBJS      := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_CORE_OBJS := $(filter-out $(BUILD)/obj/cli/main.o,$(CLI_OBJS))
CLI           := $(BUILD)/traceshim

$(CLI): $(CLI_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS)

cli: $(CLI)

# make install [PREFIX=/usr/local] [DESTDIR=]: the command in PREFIX/bin,
# the library in PREFIX/lib/traceshim/ (off the linker's search path: it
# is preloaded, never linked), where `traceshim run` looks for it.
PREFIX  ?= /usr/local
DESTDIR ?=
install: $(LIB) $(CLI)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/traceshim
	install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/traceshim
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/traceshim/libtraceshim.so

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/traceshim \
		$(DESTDIR)$(PREFIX)/lib/traceshim/libtraceshim.so
	-rmdir $(DESTDIR)$(PREFIX)/lib/traceshim 2>/dev/null
