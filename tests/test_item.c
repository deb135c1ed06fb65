/*
 * tests/test_item.c -- the item layout (header size, optional fields,
 * chained values) and reference counts (slab/item.h).
 */
#include <stdlib.h>
#include <string.h>

#include "slab/item.h"
#include "tests/check.h"

static _Alignas(8) char buf[1 << 16];

static void test_header_size(void)
{
    /* A regression guard: 24 bytes + 8 for the CAS = 32 (memcached: 56). */
    CHECK_EQ_U64(sizeof(item), 24);
    CHECK_EQ_U64(ITEM_HEADER_SIZE + ITEM_CAS_SIZE, 32);
    item_plan p;
    item_plan_make(&p, true, 10, 100, false, false, 512 * 1024);
    CHECK_EQ_U64(p.total, 142); /* fits a 144-byte chunk */
    CHECK_EQ_U64(p.nchain, 0);
    item_plan_make(&p, false, 10, 100, false, false, 512 * 1024);
    CHECK_EQ_U64(p.total, 134);
    item_plan_make(&p, true, 10, 100, true, true, 512 * 1024);
    CHECK_EQ_U64(p.total, 150); /* exptime and flags cost 4 bytes each */
}

static void test_fields(void)
{
    item_plan p;
    item_plan_make(&p, true, 5, 7, true, true, 4096);
    item *it = (item *)buf;
    item_init(it, &p, "hello", 0xdeadbeef, 1234, 99, 4096, 1);
    CHECK_EQ_U64(item_nkey(it), 5);
    CHECK(memcmp(item_key(it), "hello", 5) == 0);
    CHECK(item_key_equals(it, "hello", 5));
    CHECK(!item_key_equals(it, "hellp", 5));
    CHECK(!item_key_equals(it, "hell", 4));
    CHECK_EQ_U64(item_cflags(it), 0xdeadbeef);
    CHECK_EQ_U64(item_exptime(it), 1234);
    CHECK_EQ_U64(item_cas(it), 0);
    item_set_cas(it, 0x1122334455667788ull);
    CHECK_EQ_U64(item_cas(it), 0x1122334455667788ull);
    CHECK_EQ_U64(item_nbytes(it), 7);
    CHECK_EQ_U64(item_total(it), p.total);
    item_write(it, 0, "abcdefg", 7);
    size_t len;
    const char *v = item_span(it, 0, &len);
    CHECK_EQ_U64(len, 7);
    CHECK(memcmp(v, "abcdefg", 7) == 0);
    CHECK_EQ_U64(item_span_count(it), 1);
    CHECK_EQ_U64(atomic_load(&it->atime), 99);

    /* without options: flags and exptime read as 0, key right after cas */
    item_plan_make(&p, true, 3, 2, false, false, 4096);
    item_init(it, &p, "abc", 0, 0, 5, 4096, 1);
    CHECK_EQ_U64(item_cflags(it), 0);
    CHECK_EQ_U64(item_exptime(it), 0);
    CHECK_EQ_U64(item_key(it) - (char *)it, 32);
    item_plan_make(&p, false, 3, 2, false, true, 4096);
    item_init(it, &p, "abc", 7, 0, 5, 4096, 1);
    CHECK_EQ_U64(item_cas(it), 0);
    CHECK_EQ_U64(item_cflags(it), 7);
    CHECK_EQ_U64(item_key(it) - (char *)it, 28);
}

static void test_refcounts(void)
{
    item_plan p;
    item_plan_make(&p, true, 1, 1, false, false, 4096);
    item *it = (item *)buf;
    item_init(it, &p, "k", 0, 0, 1, 4096, 1);
    CHECK_EQ_U64(item_refcount(it), 1);
    CHECK(!item_is_linked(it));
    CHECK(!item_pin(it)); /* not linked: walkers cannot pin it */
    item_mark_linked(it);
    CHECK(item_is_linked(it));
    CHECK_EQ_U64(item_refcount(it), 2);
    CHECK(item_pin(it));
    CHECK(item_ref(it));
    CHECK_EQ_U64(item_refcount(it), 4);
    CHECK(!item_unref(it));
    CHECK(!item_unref(it));
    CHECK(!item_unref(it)); /* the caller's; the table still holds one */
    CHECK(item_mark_unlinked(it)); /* the last one */
    CHECK_EQ_U64(item_refcount(it), 0);
    CHECK(!item_is_linked(it));
    /* segment bits and flags do not disturb the count or the key length */
    item_init(it, &p, "k", 0, 0, 1, 4096, 1);
    item_set_segment(it, 3);
    item_set_bits(it, ITEM_ACTIVE | ITEM_FETCHED);
    CHECK_EQ_U64(item_segment(it), 3);
    CHECK_EQ_U64(item_refcount(it), 1);
    CHECK_EQ_U64(item_nkey(it), 1);
    item_clear_bits(it, ITEM_ACTIVE);
    CHECK(!(item_state(it) & ITEM_ACTIVE));
    CHECK(item_state(it) & ITEM_FETCHED);
    /* saturation is refused, never wraps into the flag bits */
    atomic_fetch_add(&it->state, ITEM_REF_MASK - 1);
    CHECK_EQ_U64(item_refcount(it), ITEM_REF_MASK);
    CHECK(!item_ref(it));
    CHECK_EQ_U64(item_nkey(it), 1);
}

static void test_chained(void)
{
    enum { CM = 1024, NBYTES = 5000 };
    item_plan p;
    item_plan_make(&p, true, 4, NBYTES, false, true, CM);
    CHECK(p.bits & ITEM_CHAINED);
    CHECK(p.bits & ITEM_HAS_EXP);
    CHECK(p.nchain >= 4);
    CHECK_EQ_U64(p.head_size, CM);
    char *head = malloc(CM);
    char *chunks[16];
    for (size_t i = 0; i < p.nchain; i++) {
        chunks[i] = aligned_alloc(8, CM);
        item_plan_set_chunk(&p, head, i, chunks[i]);
    }
    CHECK(item_plan_get_chunk(&p, head, 1) == chunks[1]);
    item *it = (item *)head;
    item_init(it, &p, "big!", 9, 0, 1, CM, 77);
    CHECK(memcmp(item_key(it), "big!", 4) == 0);
    CHECK_EQ_U64(item_cflags(it), 9);
    CHECK_EQ_U64(item_span_count(it), p.nchain + 1);
    CHECK_EQ_U64(((item *)chunks[0])->hnext, 77);
    CHECK_EQ_U64(item_state((item *)chunks[0]), ITEM_CHAINED);
    char *value = malloc(NBYTES), *back = malloc(NBYTES);
    for (int i = 0; i < NBYTES; i++)
        value[i] = (char)(i * 7 + 3);
    item_write(it, 0, value, 1000);
    item_write(it, 1000, value + 1000, NBYTES - 1000);
    size_t total = 0;
    bool in_bounds = true;
    for (size_t i = 0; i < item_span_count(it); i++) {
        size_t len;
        const char *s = item_span(it, i, &len);
        total += len;
        in_bounds = in_bounds && len > 0 && (i == 0 ? s + len <= head + CM
                                                    : s + len <= chunks[i - 1] + CM);
    }
    CHECK(in_bounds);
    CHECK_EQ_U64(total, NBYTES);
    item_read(it, 0, back, NBYTES);
    CHECK(memcmp(value, back, NBYTES) == 0);
    for (size_t i = 0; i < p.nchain; i++)
        free(chunks[i]);
    free(head);
    free(value);
    free(back);
    /* a key + table that cannot fit the head chunk is reported */
    item_plan_make(&p, true, 250, 1 << 20, false, false, 128);
    CHECK(p.head_size > 128);
}

/*
 * The word-wise key compare: every length 1..250 (every tail shape of the
 * 8/4/1-byte paths), keys at an odd address, a difference at each position
 * found, and a key of another length never equal.
 */
static void test_key_compare(void)
{
    static char key[251], probe[252];
    unsigned misses = 0, false_hits = 0;
    for (size_t n = 1; n <= 250; n++) {
        for (size_t i = 0; i < n; i++)
            key[i] = (char)('a' + (i * 7 + n) % 26);
        item_plan p;
        item_plan_make(&p, true, n, 3, false, false, 4096);
        item *it = (item *)buf;
        item_init(it, &p, key, 0, 0, 1, 4096, 1);
        char *q = probe + 1; /* unaligned on purpose */
        memcpy(q, key, n);
        misses += !item_key_equals(it, q, n);
        misses += !item_bytes_equal(key, q, n);
        for (size_t i = 0; i < n; i++) {
            q[i] ^= 0x20;
            false_hits += item_key_equals(it, q, n);
            false_hits += item_bytes_equal(key, q, n);
            q[i] ^= 0x20;
        }
        false_hits += item_key_equals(it, q, n - 1);
        q[n] = 'z';
        false_hits += n < 250 && item_key_equals(it, q, n + 1);
    }
    CHECK_EQ_U64(misses, 0);
    CHECK_EQ_U64(false_hits, 0);
    CHECK(item_bytes_equal("", "x", 0));
}

int main(void)
{
    test_header_size();
    test_fields();
    test_key_compare();
    test_refcounts();
    test_chained();
    return check_done("test_item");
}
