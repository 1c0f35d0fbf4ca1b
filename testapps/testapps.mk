# testapps/testapps.mk - the seed demos' plain C services (included by the
# Makefile; paths are relative to the top of the tree).
#
# Each testapps/<scenario>/<program>.c becomes $(BUILD)/testapps/<scenario>/
# <program>, linked with the small HTTP layer in testapps/common/.  They
# know nothing of traceshim; the programs that use libcurl link it.

TESTAPP_COMMON_SRCS := $(sort $(wildcard testapps/common/*.c))
TESTAPP_COMMON_OBJS := $(TESTAPP_COMMON_SRCS:%.c=$(BUILD)/obj/%.o)
TESTAPP_SRCS := $(sort $(filter-out testapps/common/%,$(wildcard testapps/*/*.c)))
TESTAPP_BINS := $(TESTAPP_SRCS:testapps/%.c=$(BUILD)/testapps/%)
TESTAPP_CURL_LIBS := $(or $(shell pkg-config --libs libcurl 2>/dev/null),-lcurl)

# The programs whose outgoing calls go through libcurl.
$(BUILD)/testapps/hello/server-1 $(BUILD)/testapps/pubsub/client: \
	TESTAPP_LIBS := $(TESTAPP_CURL_LIBS)

$(BUILD)/testapps/%: $(BUILD)/obj/testapps/%.o $(TESTAPP_COMMON_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(TESTAPP_COMMON_OBJS) $(TESTAPP_LIBS) -lpthread

testapps: $(TESTAPP_BINS)

# make demo [DEMO=statuses|hello|home|gateway|pubsub]: build what is
# missing, run the scenario under the shim, show its trace (scripts/demo).
# (Included after cli/cli.mk: the prerequisites below need $(CLI).)
DEMO ?= statuses
demo: deps
	$(Q)$(MAKE) --no-print-directory demo-build
	$(Q)BUILD=$(BUILD) scripts/demo $(DEMO)

demo-build: $(LIB) $(CLI) $(TESTAPP_BINS)
	@:
