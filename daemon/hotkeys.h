/*
 * daemon/hotkeys.h -- `stats hotkeys`: which keys are read the most, by
 * number of lookups and by value bytes served.
 *
 * Each worker owns one sketch. A lookup (get/gets/gat/gats per key, mg)
 * calls hotkeys_tick(); it answers true about once in `sample_every`
 * lookups (a random gap between 1 and 2*sample_every-1, so no periodic
 * access pattern can hide from it), and only then does the caller pay for
 * hotkeys_sample(), which feeds two tables of HOTKEYS_SLOTS counters: one
 * weighted by lookups (hits and misses), one by value bytes (hits only).
 * Reported numbers are sampled counts times sample_every: estimates, exact
 * when sample_every is 1.
 *
 *   lookup -> tick (owner thread, no lock, a decrement and a branch)
 *               `-- 1 in ~N --> sample: lock, update both tables, unlock
 *   `stats hotkeys` -> hotkeys_collect per worker (lock, copy, unlock)
 *                   -> hotkeys_list_finish (merge equal keys, rank)
 *
 * Each table is set-associative Space-Saving: a key's hash picks one set
 * of HOTKEYS_WAYS counters; a key already there adds its weight; a new key
 * replaces the set's entry with the smallest count and inherits that count
 * as its `error` (the most its estimate can be too high). So an estimate
 * is never below the sampled truth, never above it by more than `error`,
 * and a key holding more than 1/HOTKEYS_WAYS of its set's weight is always
 * tracked. A sample costs a hash of the key and two scans of 8 counters.
 *
 * Locking: the sketch's mutex is taken by its worker only while sampling
 * and by readers (collect, reset) only to copy or clear 2 x HOTKEYS_SLOTS
 * entries, so nobody waits for long. hotkeys_tick touches only the
 * owner's countdown and needs no lock.
 */
#ifndef CASHEW_DAEMON_HOTKEYS_H
#define CASHEW_DAEMON_HOTKEYS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOTKEYS_SETS 16       /* sets per table */
#define HOTKEYS_WAYS 8        /* counters per set */
#define HOTKEYS_SLOTS (HOTKEYS_SETS * HOTKEYS_WAYS)
#define HOTKEYS_KEY_MAX 250   /* longest key kept (longer ones are cut) */
#define HOTKEYS_SAMPLE 16     /* the daemon samples about 1 lookup in 16 */

/* One table: parallel arrays, set s in slots [s * WAYS, (s + 1) * WAYS). */
typedef struct hotkeys_table {
    uint32_t hash[HOTKEYS_SLOTS];
    uint64_t count[HOTKEYS_SLOTS];  /* the table's weight (0: free slot) */
    uint64_t error[HOTKEYS_SLOTS];  /* inherited count (overestimate bound) */
    uint64_t other[HOTKEYS_SLOTS];  /* the other measure, since tracked */
    uint8_t nkey[HOTKEYS_SLOTS];
    char key[HOTKEYS_SLOTS][HOTKEYS_KEY_MAX];
} hotkeys_table;

/* A sketch. Fields are private to hotkeys.c except through the functions. */
typedef struct hotkeys {
    uint32_t countdown;       /* owner thread only: lookups to the next sample */
    uint32_t sample_every;
    uint64_t rng;             /* owner thread only: xorshift state */
    pthread_mutex_t lock;     /* guards the tables */
    hotkeys_table by_requests;
    hotkeys_table by_bytes;
} hotkeys;

/*
 * Creates an empty sketch sampling about 1 lookup in sample_every (1:
 * every lookup, exact counts); seed picks the sampling sequence (tests use
 * a fixed one). NULL if out of memory. hotkeys_destroy frees it (NULL ok);
 * no thread may use it any more then.
 */
hotkeys *hotkeys_create(uint32_t sample_every, uint64_t seed);
void hotkeys_destroy(hotkeys *h);

/*
 * Owner thread, per lookup: true when this lookup is to be sampled (then
 * call hotkeys_sample). A decrement and a branch.
 */
static inline bool hotkeys_tick(hotkeys *h)
{
    return --h->countdown == 0;
}

/*
 * Owner thread, after hotkeys_tick said true: counts one lookup of
 * key[0..nkey) that served nbytes value bytes (0 for a miss). Takes the
 * sketch's lock for a few hundred instructions; picks the next gap.
 */
void hotkeys_sample(hotkeys *h, const char *key, size_t nkey, uint64_t nbytes);

/* Any thread (`stats reset`): forgets every count. Takes the lock. */
void hotkeys_reset(hotkeys *h);

/* A tracked key as `stats hotkeys` reports it (numbers already scaled). */
typedef struct hotkeys_item {
    uint64_t requests, bytes, error;
    uint32_t hash;
    uint8_t nkey;
    char key[HOTKEYS_KEY_MAX];
} hotkeys_item;

/* Which table / ranking. */
typedef enum hotkeys_by {
    HOTKEYS_BY_REQUESTS,
    HOTKEYS_BY_BYTES
} hotkeys_by;

/* Keys gathered from one or more sketches; malloc'd items, caller frees. */
typedef struct hotkeys_list {
    hotkeys_item *items;
    size_t n, cap;
} hotkeys_list;

/*
 * Any thread: appends the tracked keys of h's `by` table to *list (copied
 * under h's lock). False if memory ran out (list keeps what it had).
 */
bool hotkeys_collect(hotkeys *h, hotkeys_by by, hotkeys_list *list);

/*
 * Merges entries of the same key (requests, bytes and errors add up, as
 * when summing sketches) and sorts the list by `by`, largest first (ties:
 * by key bytes). Pure; no lock.
 */
void hotkeys_list_finish(hotkeys_list *list, hotkeys_by by);

/* Frees the items; the list is empty afterwards. */
void hotkeys_list_free(hotkeys_list *list);

#endif
