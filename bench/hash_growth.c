/*
 * bench/hash_growth.c -- how long do lookups wait while the table doubles?
 *
 *   bench/hash_growth [items] [readers]     (defaults: 10000000 items, 3)
 *
 * Fills a fake item arena with `items` keys into a table sized so that it
 * is past its load limit (without running the expander), then starts the
 * reader threads: for one second they look up random keys with no growth
 * (baseline), then an expander thread doubles the table with
 * hash_expand_step while they keep reading, then one more second after.
 * Each lookup (lock, find, unlock) is timed; the longest one per phase and
 * how many went over 10 us / 100 us / 1 ms are printed with percentiles,
 * and the same for the expand steps. On a machine with fewer cores than
 * readers + 1, or one busy with other work, the maxima are mostly time a
 * thread spent descheduled (often while holding a stripe lock): compare
 * the "growing" phase with the baseline, and look at the percentiles.
 */
#include "slab/hash.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { PHASE_BASELINE, PHASE_GROWING, PHASE_AFTER, PHASE_STOP, PHASES = 3 };
enum { BENCH_MAX_READERS = 64 };
enum { BENCH_BINS = 20001 }; /* 1 us bins; the last one is ">= 20 ms" */

typedef struct bench_item {
    hash_ref next;
    uint32_t nkey;
    char key[24];
} bench_item;

typedef struct bench_phase_stats {
    uint64_t ops, max_ns, over_10us, over_100us, over_1ms;
    uint64_t bins[BENCH_BINS];
} bench_phase_stats;

typedef struct bench_reader {
    pthread_t thread;
    uint64_t rng;
    bench_phase_stats phase[PHASES];
} bench_reader;

static bench_item *bench_items;
static uint32_t bench_count;
static hash_table *bench_table;
static atomic_int bench_phase = PHASE_BASELINE;

static hash_ref *bench_next(void *ctx, hash_ref ref)
{
    (void)ctx;
    return &bench_items[ref - 1].next;
}

static bool bench_key_equals(void *ctx, hash_ref ref, const char *key, size_t nkey)
{
    (void)ctx;
    const bench_item *it = &bench_items[ref - 1];
    return it->nkey == nkey && memcmp(it->key, key, nkey) == 0;
}

static const char *bench_key(void *ctx, hash_ref ref, size_t *nkey)
{
    (void)ctx;
    *nkey = bench_items[ref - 1].nkey;
    return bench_items[ref - 1].key;
}

static uint64_t bench_clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t bench_now_ns(void)
{
    return bench_clock_ns(CLOCK_MONOTONIC);
}

static size_t bench_key_name(char *buf, uint32_t id)
{
    return (size_t)snprintf(buf, 24, "bench:%u", id);
}

/* The smallest power whose load limit the fill already exceeds. */
static unsigned bench_power_for(uint32_t items)
{
    unsigned power = 10;
    while (power < 31 && ((uint64_t)3 << (power + 1)) < (uint64_t)items * 2)
        power++;
    return power;
}

static void bench_fill(void)
{
    for (uint32_t i = 0; i < bench_count; i++) {
        bench_item *it = &bench_items[i];
        it->nkey = (uint32_t)bench_key_name(it->key, i);
        uint64_t hv = hash_key(it->key, it->nkey);
        hash_lock(bench_table, hv);
        hash_insert_locked(bench_table, hv, i + 1);
        hash_unlock(bench_table, hv);
    }
}

static void bench_record(bench_phase_stats *st, uint64_t ns)
{
    st->ops++;
    if (ns > st->max_ns)
        st->max_ns = ns;
    st->over_10us += ns > 10000;
    st->over_100us += ns > 100000;
    st->over_1ms += ns > 1000000;
    uint64_t bin = ns / 1000;
    st->bins[bin < BENCH_BINS ? bin : BENCH_BINS - 1]++;
}

static void bench_merge(bench_phase_stats *sum, const bench_phase_stats *st)
{
    sum->ops += st->ops;
    sum->over_10us += st->over_10us;
    sum->over_100us += st->over_100us;
    sum->over_1ms += st->over_1ms;
    if (st->max_ns > sum->max_ns)
        sum->max_ns = st->max_ns;
    for (unsigned b = 0; b < BENCH_BINS; b++)
        sum->bins[b] += st->bins[b];
}

/* Upper bound (us) of the bin holding the given fraction of samples. */
static unsigned bench_percentile_us(const bench_phase_stats *st, double fraction)
{
    uint64_t want = (uint64_t)(fraction * (double)st->ops), seen = 0;
    for (unsigned b = 0; b < BENCH_BINS; b++) {
        seen += st->bins[b];
        if (seen > want)
            return b + 1;
    }
    return BENCH_BINS;
}

static uint64_t bench_lookup_ns(bench_reader *r)
{
    r->rng ^= r->rng << 13;
    r->rng ^= r->rng >> 7;
    r->rng ^= r->rng << 17;
    char key[24];
    size_t nkey = bench_key_name(key, (uint32_t)(r->rng % bench_count));
    uint64_t hv = hash_key(key, nkey);
    uint64_t start = bench_now_ns();
    hash_lock(bench_table, hv);
    hash_ref ref = hash_find_locked(bench_table, hv, key, nkey);
    hash_unlock(bench_table, hv);
    uint64_t took = bench_now_ns() - start;
    if (ref == 0) {
        fprintf(stderr, "hash_growth: key %s lost\n", key);
        exit(1);
    }
    return took;
}

static void *bench_reader_main(void *arg)
{
    bench_reader *r = arg;
    int phase;
    while ((phase = atomic_load_explicit(&bench_phase, memory_order_relaxed)) != PHASE_STOP)
        bench_record(&r->phase[phase], bench_lookup_ns(r));
    return NULL;
}

static void bench_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/*
 * Runs the expander to completion, timing each step in wall time and in
 * this thread's CPU time (which leaves out time spent descheduled or
 * blocked on a stripe a reader holds); returns seconds. The last step
 * (publish, take each stripe once, unmap the old array) is kept apart in
 * *last_wall / *last_cpu: it holds at most one stripe at a time, briefly.
 */
static double bench_grow(bench_phase_stats *wall, bench_phase_stats *cpu,
                         uint64_t *last_wall, uint64_t *last_cpu)
{
    uint64_t begin = bench_now_ns();
    for (bool more = true; more;) {
        uint64_t start = bench_now_ns();
        uint64_t cpu_start = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
        more = hash_expand_step(bench_table);
        *last_cpu = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
        *last_wall = bench_now_ns() - start;
        if (more) {
            bench_record(cpu, *last_cpu);
            bench_record(wall, *last_wall);
        }
    }
    return (bench_now_ns() - begin) / 1e9;
}

static void bench_print(const char *name, const bench_phase_stats *st)
{
    printf("%-9s %10llu  p50 %3u  p99.9 %4u  p99.99 %5u  max %8.1f   "
           ">10us %6llu  >100us %5llu  >1ms %4llu\n",
           name, (unsigned long long)st->ops, bench_percentile_us(st, 0.5),
           bench_percentile_us(st, 0.999), bench_percentile_us(st, 0.9999),
           st->max_ns / 1000.0, (unsigned long long)st->over_10us,
           (unsigned long long)st->over_100us, (unsigned long long)st->over_1ms);
}

static void bench_print_phase(const char *name, bench_reader *readers,
                              unsigned n, int phase)
{
    static bench_phase_stats sum;
    memset(&sum, 0, sizeof(sum));
    for (unsigned i = 0; i < n; i++)
        bench_merge(&sum, &readers[i].phase[phase]);
    bench_print(name, &sum);
}


static int bench_setup(uint32_t items)
{
    bench_count = items;
    bench_items = calloc(items, sizeof(bench_item));
    hash_item_ops ops = {.next = bench_next, .key_equals = bench_key_equals,
                         .key = bench_key, .ctx = NULL};
    bench_table = hash_create(bench_power_for(items), 8192, &ops);
    if (bench_items == NULL || bench_table == NULL) {
        fprintf(stderr, "hash_growth: out of memory\n");
        return -1;
    }
    uint64_t start = bench_now_ns();
    bench_fill();
    hash_stats st;
    hash_stats_read(bench_table, &st);
    printf("filled %u items into 2^%u buckets in %.2f s (wants growth: %s)\n",
           items, st.power, (bench_now_ns() - start) / 1e9,
           hash_wants_growth(bench_table) ? "yes" : "no");
    return 0;
}

int main(int argc, char **argv)
{
    uint32_t items = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 10000000;
    unsigned nreaders = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 3;
    if (items < 1000 || nreaders < 1 || nreaders > BENCH_MAX_READERS) {
        fprintf(stderr, "usage: hash_growth [items >= 1000] [readers 1..64]\n");
        return 2;
    }
    if (bench_setup(items) != 0)
        return 1;
    static bench_reader readers[BENCH_MAX_READERS];
    for (unsigned i = 0; i < nreaders; i++) {
        readers[i].rng = 0x9e3779b97f4a7c15ull * (i + 1);
        pthread_create(&readers[i].thread, NULL, bench_reader_main, &readers[i]);
    }
    bench_sleep_ms(1000);
    atomic_store(&bench_phase, PHASE_GROWING);
    static bench_phase_stats steps, steps_cpu;
    uint64_t last_wall = 0, last_cpu = 0;
    double seconds = bench_grow(&steps, &steps_cpu, &last_wall, &last_cpu);
    atomic_store(&bench_phase, PHASE_AFTER);
    bench_sleep_ms(1000);
    atomic_store(&bench_phase, PHASE_STOP);
    for (unsigned i = 0; i < nreaders; i++)
        pthread_join(readers[i].thread, NULL);

    hash_stats st;
    hash_stats_read(bench_table, &st);
    printf("growth to 2^%u in %.3f s; times in us:\n", st.power, seconds);
    printf("expand steps (one step = hash_expand_step: move one old bucket):\n");
    bench_print("wall", &steps);
    bench_print("cpu", &steps_cpu);
    printf("final step (quiesce stripes, unmap old array): wall %.1f us, cpu %.1f us\n",
           last_wall / 1000.0, last_cpu / 1000.0);
    printf("lookups (lock + find + unlock) by %u reader thread(s):\n", nreaders);
    bench_print_phase("baseline", readers, nreaders, PHASE_BASELINE);
    bench_print_phase("growing", readers, nreaders, PHASE_GROWING);
    bench_print_phase("after", readers, nreaders, PHASE_AFTER);
    hash_destroy(bench_table);
    free(bench_items);
    return 0;
}
