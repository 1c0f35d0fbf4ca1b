/*
 * ids.c - per-thread SplitMix64 id streams (see ids.h).
 */
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "ids.h"
#include "real.h"

#define GOLDEN 0x9e3779b97f4a7c15ull

static unsigned generation = 1;        /* bumped in every forked child */
static TS_TLS uint64_t stream;         /* this thread's SplitMix64 state */
static TS_TLS unsigned stream_gen;     /* generation `stream` was seeded in */

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void seed(unsigned gen)
{
	uint64_t s = 0;
	long got;

	got = ts_syscall(SYS_getrandom, &s, sizeof(s), 1 /* GRND_NONBLOCK */);
	if (got != (long)sizeof(s)) {
		/* No entropy yet (early boot): mix what differs per thread. */
		s = mix(ts_clock_mono_ns() ^ ts_clock_realtime_ns());
		s ^= mix((uint64_t)ts_syscall(SYS_gettid) << 32 ^
			 (uint64_t)ts_syscall(SYS_getpid));
		s ^= mix((uint64_t)(uintptr_t)&stream);
	}
	__atomic_store_n(&stream, s, __ATOMIC_RELAXED);
	__atomic_store_n(&stream_gen, gen, __ATOMIC_RELAXED);
}

TS_HOT
static uint64_t next64(void)
{
	unsigned gen = __atomic_load_n(&generation, __ATOMIC_RELAXED);
	uint64_t v;

	if (ts_unlikely(__atomic_load_n(&stream_gen, __ATOMIC_RELAXED) != gen))
		seed(gen);
	do
		v = mix(__atomic_add_fetch(&stream, GOLDEN, __ATOMIC_RELAXED));
	while (ts_unlikely(v == 0));
	return v;
}

TS_HOT
void ts_ids_trace(uint8_t out[16])
{
	uint64_t hi = next64(), lo = next64();

	memcpy(out, &hi, 8);
	memcpy(out + 8, &lo, 8);
}

TS_HOT
void ts_ids_span(uint8_t out[8])
{
	uint64_t v = next64();

	memcpy(out, &v, 8);
}

void ts_ids_after_fork(void)
{
	__atomic_add_fetch(&generation, 1, __ATOMIC_RELAXED);
}

TS_HOT
bool ts_ids_is_zero(const uint8_t *id, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (id[i])
			return false;
	return true;
}
