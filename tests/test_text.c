/*
 * tests/test_text.c -- unit tests of proto/text.h: the request parser (every
 * command and error path, every request split at every byte), the reply
 * and request composers (round trips, capacities), the reply parser, long
 * lines, binary garbage, key and number limits. No sockets.
 *
 * The expected errors and edge cases were taken from stock memcached
 * 1.6.18, probed by hand.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/text.h"
#include "tests/check.h"

#define KEY250 \
    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk" \
    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk" \
    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk" \
    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk" \
    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
#define KEY251 KEY250 "k"

/* ---- helpers ---------------------------------------------------------------- */

static bool view_is(text_str v, const char *s)
{
    return v.len == strlen(s) && memcmp(v.ptr, s, v.len) == 0;
}

/* A heap copy of exactly n bytes, so ASAN catches any read past the end. */
static char *exact_copy(const char *src, size_t n)
{
    char *p = malloc(n ? n : 1);
    if (n)
        memcpy(p, src, n);
    return p;
}

/* Same parse result, with views compared by content (the buffers differ). */
static bool views_same(text_str a, text_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static bool requests_same(const text_request *a, const text_request *b)
{
    return a->cmd == b->cmd && a->meta == b->meta && a->line_len == b->line_len &&
           views_same(a->key, b->key) && views_same(a->keys, b->keys) &&
           a->nkeys == b->nkeys && a->flags == b->flags && a->exptime == b->exptime &&
           a->nbytes == b->nbytes && a->cas == b->cas && a->delta == b->delta &&
           a->value == b->value && a->has_value == b->has_value &&
           a->noreply == b->noreply && a->graceful == b->graceful &&
           views_same(a->args, b->args) && a->reply == b->reply &&
           a->swallow == b->swallow && a->src_class == b->src_class &&
           a->dst_class == b->dst_class && a->all_classes == b->all_classes;
}

static text_status parse_n(const char *s, size_t n, text_request *req)
{
    char *copy = exact_copy(s, n);
    memset(req, 0, sizeof(*req));
    text_status st = text_parse(copy, n, req);
    /* keep the views valid for the caller: leak-free by parsing the original */
    free(copy);
    memset(req, 0, sizeof(*req));
    text_status st2 = text_parse(s, n, req);
    CHECK(st == st2);
    return st2;
}

static text_status parse_str(const char *s, text_request *req)
{
    return parse_n(s, strlen(s), req);
}

/*
 * Feeds s[0..k) for every k: must be EAGAIN while the '\n' is missing, and
 * then give the same result as the whole input, with a fresh request and
 * with one request reused across calls (the resume path).
 */
static void check_all_splits(const char *s, size_t n)
{
    text_request whole = {0}, piece = {0}, resumed = {0};
    text_status want = text_parse(s, n, &whole);
    const char *nl = memchr(s, '\n', n);
    size_t line_end = nl ? (size_t)(nl - s) + 1 : n + 1;
    bool all_ok = true;
    for (size_t k = 0; k <= n; k++) {
        char *copy = exact_copy(s, k);
        memset(&piece, 0, sizeof(piece));
        text_status st = text_parse(copy, k, &piece);
        text_status st_res = text_parse(copy, k, &resumed);
        if (k < line_end) {
            all_ok &= (st == TEXT_EAGAIN) && (st_res == TEXT_EAGAIN);
        } else {
            all_ok &= (st == want) && (st_res == want);
            all_ok &= requests_same(&piece, &whole) && requests_same(&resumed, &whole);
            memset(&resumed, 0, sizeof(resumed));
        }
        free(copy);
    }
    CHECK(all_ok);
}

static void check_all_splits_str(const char *s)
{
    check_all_splits(s, strlen(s));
}

/* ---- error and acceptance table (memcached 1.6.18's answers) ---------------- */

typedef struct parse_case {
    const char *line;
    text_status st;
    text_reply reply;  /* for errors */
    bool noreply;
} parse_case;

#define OK_(l) { l, TEXT_OK, TEXT_REPLY_NONE, false }
#define OKNR(l) { l, TEXT_OK, TEXT_REPLY_NONE, true }
#define ERR(l) { l, TEXT_ERROR, TEXT_REPLY_ERROR, false }
#define CE(l, r) { l, TEXT_CLIENT_ERROR, TEXT_REPLY_CE_##r, false }
#define CENR(l, r) { l, TEXT_CLIENT_ERROR, TEXT_REPLY_CE_##r, true }

static const parse_case parse_cases[] = {
    /* unknown commands, empty lines, case */
    ERR("\r\n"), ERR("\n"), ERR("   \r\n"), ERR("GET k\r\n"), ERR("getx k\r\n"),
    ERR("mx k\r\n"), ERR("m\r\n"), ERR("bogus\r\n"), ERR("set\tk 0 0 1\r\n"),
    ERR("\x01\x02\xff\r\n"),
    /* get family */
    OK_("get k\r\n"), OK_(" get k\r\n"), OK_("get k k2 k3\r\n"), OK_("gets k\r\n"),
    OK_("get " KEY250 "\r\n"), ERR("get\r\n"), ERR("get \r\n"), ERR("gets\r\n"),
    CE("get " KEY251 "\r\n", BAD_FORMAT), CE("get a " KEY251 " b\r\n", BAD_FORMAT),
    CE("gets k " KEY251 "\r\n", BAD_FORMAT), OK_("get k noreply\r\n"),
    OK_("gat 0 k\r\n"), OK_("gats 10 k k\r\n"), OK_("gat 1\r\n"), OK_("gat 0 \r\n"),
    ERR("gat\r\n"), ERR("gats\r\n"), CE("gat abc k\r\n", INVALID_EXPTIME),
    CE("gat abc " KEY251 "\r\n", INVALID_EXPTIME), CE("gat 0 " KEY251 "\r\n", BAD_FORMAT),
    CE("gat abc\r\n", INVALID_EXPTIME),
    /* storage */
    /* storage */
    OK_("set k 0 0 5\r\n"), OKNR("set k 0 0 5 noreply\r\n"), OK_("set k 0 0 5 foo\r\n"),
    OK_("set  k  0  0  1 \r\n"), OK_("set k 0 0 1\n"), OK_("add k 1 2 3\r\n"),
    OK_("replace k 1 2 3\r\n"), OK_("append k 1 2 3\r\n"), OK_("prepend k 1 2 3\r\n"),
    OK_("set " KEY250 " 0 0 1\r\n"), CE("set " KEY251 " 0 0 1\r\n", BAD_FORMAT),
    CENR("set " KEY251 " 0 0 1 noreply\r\n", BAD_FORMAT),
    ERR("set k 0 0\r\n"), ERR("set k 0 0 \r\n"), ERR("set k 0 0 1 noreply x\r\n"),
    ERR("set\r\n"), ERR("set k\r\n"),
    CE("set k abc 0 1\r\n", BAD_FORMAT), CE("set k -1 0 1\r\n", BAD_FORMAT),
    CE("set k 0x10 0 1\r\n", BAD_FORMAT), CE("set k 0 0 -1\r\n", BAD_FORMAT),
    CE("set k 0 0 1x\r\n", BAD_FORMAT), CE("set k \t 0 1\r\n", BAD_FORMAT),
    CE("set k 18446744073709551616 0 1\r\n", BAD_FORMAT),
    CE("set k 0 9223372036854775808 1\r\n", BAD_FORMAT),
    CE("set k 0 -9223372036854775809 1\r\n", BAD_FORMAT),
    CE("set k 0 0 2147483646\r\n", BAD_FORMAT), CE("set k 0 0 2147483647\r\n", BAD_FORMAT),
    CE("set k 0 0 2147483648\r\n", BAD_FORMAT), CE("set k 0 0 4294967295\r\n", BAD_FORMAT),
    CENR("set k abc 0 1 noreply\r\n", BAD_FORMAT), CENR("set k 0 0 noreply\r\n", BAD_FORMAT),
    OK_("set k 0 0 2147483645\r\n"), OK_("set k 0 0 4294967297\r\n"),
    OK_("set k 4294967295 0 1\r\n"), OK_("set k 18446744073709551615 0 1\r\n"),
    OK_("set k +5 0 1\r\n"), OK_("set k -0 0 1\r\n"), OK_("set k 5\tjunk 0 1\r\n"),
    OK_("set k \t7 0 1\r\n"), OK_("set k 5\v 0 1\r\n"), OK_("set k 1 0 1\r\r\n"),
    OK_("set k 0 -9223372036854775808 1\r\n"), OK_("set k 0 9223372036854775807 1\r\n"),
    OK_("cas k 0 0 1 18446744073709551615\r\n"), OKNR("cas k 0 0 1 5 noreply\r\n"),
    OK_("cas k 0 0 1 5 foo\r\n"), ERR("cas k 0 0 1\r\n"), ERR("cas k 0 0 1 5 noreply foo\r\n"),
    CE("cas k 0 0 1 18446744073709551616\r\n", BAD_FORMAT), CE("cas k 0 0 1 -1\r\n", BAD_FORMAT),
    CE("cas k 0 0 1 abc\r\n", BAD_FORMAT), CENR("cas k 0 0 1 noreply\r\n", BAD_FORMAT),
    /* delete */
    OK_("delete k\r\n"), OKNR("delete k noreply\r\n"), OK_("delete k 0\r\n"),
    OKNR("delete k 0 noreply\r\n"), ERR("delete\r\n"), ERR("delete k x y z\r\n"),
    CE("delete k extra\r\n", DELETE_USAGE), CE("delete k 1\r\n", DELETE_USAGE),
    CE("delete k 0 x\r\n", DELETE_USAGE), CE("delete k noreply x\r\n", DELETE_USAGE),
    CE("delete k noreply 0\r\n", DELETE_USAGE), CENR("delete k extra noreply\r\n", DELETE_USAGE),
    CE("delete " KEY251 "\r\n", BAD_FORMAT), CENR("delete " KEY251 " noreply\r\n", BAD_FORMAT),
    OK_("delete " KEY250 "\r\n"),
    /* incr / decr */
    OK_("incr k 1\r\n"), OK_("decr k 1\r\n"), OKNR("incr k 1 noreply\r\n"), OK_("incr k 1 x\r\n"),
    OK_("incr k 18446744073709551615\r\n"), OK_("incr k -0\r\n"), OK_("incr k 5\r\r\n"),
    ERR("incr k\r\n"), ERR("incr k 1 noreply x\r\n"), ERR("decr\r\n"),
    CE("incr k abc\r\n", INVALID_DELTA), CE("incr k -1\r\n", INVALID_DELTA),
    CE("incr k 18446744073709551616\r\n", INVALID_DELTA), CE("incr k \t\r\n", INVALID_DELTA),
    CENR("incr k abc noreply\r\n", INVALID_DELTA), CENR("incr k noreply\r\n", INVALID_DELTA),
    CE("incr " KEY251 " abc\r\n", BAD_FORMAT), CE("decr " KEY251 " 1\r\n", BAD_FORMAT),
    /* touch */
    OK_("touch k 10\r\n"), OKNR("touch k 1 noreply\r\n"), OK_("touch k 1 x\r\n"),
    OK_("touch k 4294967296\r\n"), ERR("touch k\r\n"), ERR("touch k 1 noreply x\r\n"),
    CE("touch k abc\r\n", INVALID_EXPTIME), CE("touch k 9223372036854775808\r\n", INVALID_EXPTIME),
    CENR("touch k noreply\r\n", INVALID_EXPTIME), CE("touch " KEY251 " abc\r\n", BAD_FORMAT),
    /* flush_all */
    OK_("flush_all\r\n"), OK_("flush_all 0\r\n"), OKNR("flush_all noreply\r\n"),
    OKNR("flush_all 10 noreply\r\n"), OK_("flush_all -1\r\n"), OK_("flush_all 1 2\r\n"),
    OK_("flush_all 4294967296\r\n"), OK_("flush_all  \r\n"), ERR("flush_all 1 2 3\r\n"),
    ERR("flush_all 0 noreply x\r\n"), CE("flush_all abc\r\n", INVALID_EXPTIME),
    CENR("flush_all abc noreply\r\n", INVALID_EXPTIME),
    /* verbosity, version, quit */
    OK_("verbosity 1\r\n"), OKNR("verbosity 1 noreply\r\n"), OK_("verbosity 1 2\r\n"),
    ERR("verbosity\r\n"), ERR("verbosity 1 2 3\r\n"), CE("verbosity abc\r\n", BAD_FORMAT),
    CENR("verbosity noreply\r\n", BAD_FORMAT),
    OK_("version\r\n"), OK_("version x\r\n"), OK_("version noreply\r\n"), OK_("quit\r\n"),
    OK_("quit x\r\n"),
    /* stats, shutdown, debugtime */
    OK_("stats\r\n"), OK_("stats settings\r\n"), OK_("stats  settings\r\n"),
    OK_("stats detail on\r\n"), OK_("stats cachedump 1 1\r\n"), OK_("stats noreply\r\n"),
    OK_("shutdown\r\n"), OK_("shutdown graceful\r\n"), CE("shutdown x\r\n", SHUTDOWN_MODE),
    CE("shutdown x y z\r\n", SHUTDOWN_MODE), CE("shutdown graceful x\r\n", SHUTDOWN_MODE),
    CE("shutdown noreply\r\n", SHUTDOWN_MODE),
    OK_("debugtime\r\n"), OK_("debugtime 5\r\n"),
    /* meta */
    OK_("mn\r\n"), OK_("mg k v\r\n"), OK_("ms k 2\r\n"), OK_("ms k 2 T0 F5\r\n"),
    OK_("md k q\r\n"), OK_("ma k\r\n"), OK_("me k\r\n"), ERR("mg\r\n"), ERR("ms\r\n"),
    CE("ms k\r\n", BAD_FORMAT), CE("ms k abc\r\n", BAD_FORMAT), CE("mg " KEY251 "\r\n", BAD_FORMAT),
    /* more number edges */
    CE("verbosity 18446744073709551616\r\n", BAD_FORMAT), CE("verbosity -1\r\n", BAD_FORMAT),
    OK_("verbosity 18446744073709551615\r\n"), OK_("flush_all +5\r\n"),
    CE("flush_all 9223372036854775808\r\n", INVALID_EXPTIME), CE("flush_all \t\r\n", INVALID_EXPTIME),
    CE("gat 9223372036854775808 k\r\n", INVALID_EXPTIME), OK_("gat -1 k\r\n"),
    CE("touch k -9223372036854775809\r\n", INVALID_EXPTIME), OK_("incr k +5\r\n"),
    CE("incr k 5junk\r\n", INVALID_DELTA), OK_("incr k 5\tjunk\r\n"),
    CE("delete k 00\r\n", DELETE_USAGE), CE("delete k -0\r\n", DELETE_USAGE),
    OK_("delete k  0  \r\n"), OK_("get  k\r\n"), OK_("gets k\x7f\r\n"), OK_("set k 0 0 1 \r\n"),
    OK_("gat 0 k noreply\r\n"),
    /* admin: slabs reassign / automove (memcached 1.6.18's answers) */
    OK_("slabs reassign 1 2\r\n"), OK_("slabs  reassign  -1  2 \r\n"),
    OK_("slabs reassign 4294967297 2\r\n"), OK_("slabs reassign +1 02\r\n"),
    ERR("slabs\r\n"), ERR("slabs foo\r\n"), ERR("slabs reassign\r\n"),
    ERR("slabs reassign 1\r\n"), ERR("slabs reassign 1 2 3\r\n"),
    ERR("slabs reassign 1 2 noreply\r\n"), ERR("SLABS reassign 1 2\r\n"),
    ERR("slabs Reassign 1 2\r\n"), ERR("slabsreassign 1 2\r\n"),
    CE("slabs reassign x 2\r\n", BAD_FORMAT), CE("slabs reassign 1 2x\r\n", BAD_FORMAT),
    CE("slabs reassign 9223372036854775808 1\r\n", BAD_FORMAT),
    OK_("slabs automove 0\r\n"), OK_("slabs automove 2\r\n"), OK_("slabs automove 1 2\r\n"),
    OK_("slabs automove 01\r\n"), OK_("slabs automove 4294967297\r\n"),
    OKNR("slabs automove 1 noreply\r\n"), ERR("slabs automove\r\n"),
    ERR("slabs automove 3\r\n"), ERR("slabs automove 4294967295\r\n"),
    { "slabs automove 3 noreply\r\n", TEXT_ERROR, TEXT_REPLY_ERROR, true },
    CE("slabs automove -1\r\n", BAD_FORMAT), CE("slabs automove x\r\n", BAD_FORMAT),
    CE("slabs automove 1x\r\n", BAD_FORMAT), CENR("slabs automove x noreply\r\n", BAD_FORMAT),
    /* admin: lru_crawler crawl / metadump (the class list is checked separately) */
    OK_("lru_crawler crawl all\r\n"), OK_("lru_crawler crawl 1,2,3\r\n"),
    OK_("lru_crawler crawl x\r\n"), OK_("lru_crawler metadump all\r\n"),
    OK_("lru_crawler metadump hash\r\n"), OK_("lru_crawler  metadump  1 \r\n"),
    ERR("lru_crawler\r\n"), ERR("lru_crawler foo\r\n"), ERR("lru_crawler crawl\r\n"),
    ERR("lru_crawler crawl 1 2\r\n"), ERR("lru_crawler crawl 1 noreply\r\n"),
    ERR("lru_crawler metadump\r\n"), ERR("lru_crawler metadump all noreply\r\n"),
    OK_("lru_crawler mgdump all\r\n"), ERR("LRU_CRAWLER crawl all\r\n"),
};

static void test_parse_table(void)
{
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const parse_case *c = &parse_cases[i];
        text_request req;
        text_status st = parse_str(c->line, &req);
        if (st != c->st)
            fprintf(stderr, "case %zu: '%s' -> status %d, want %d\n", i, c->line, st, c->st);
        CHECK(st == c->st);
        CHECK_EQ_U64(req.line_len, strlen(c->line));
        CHECK(req.noreply == c->noreply);
        CHECK(text_reply_suppressed(&req) == c->noreply);
        if (st == TEXT_OK) {
            CHECK(req.cmd != TEXT_CMD_NONE);
            CHECK(req.cmd == TEXT_CMD_META || req.reply == TEXT_REPLY_NONE);
        } else {
            CHECK(req.reply == c->reply);
            CHECK(text_reply_len(req.reply) > 0);
        }
        if (st == TEXT_ERROR)
            CHECK(req.cmd == TEXT_CMD_NONE);
        check_all_splits_str(c->line);
    }
}

/* ---- fields of each command ------------------------------------------------- */

static void test_get_fields(void)
{
    text_request req;
    CHECK(parse_str("get a bb  ccc \r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_GET);
    CHECK_EQ_U64(req.nkeys, 3);
    CHECK(view_is(req.key, "a"));
    CHECK(view_is(req.keys, "a bb  ccc"));
    const char *want[] = { "a", "bb", "ccc" };
    for (int pass = 0; pass < 2; pass++) {
        text_str k;
        size_t n = 0;
        while (text_next_key(&req, &k)) {
            CHECK(n < 3 && view_is(k, want[n]));
            n++;
        }
        CHECK_EQ_U64(n, 3);
        CHECK(!text_next_key(&req, &k));
        text_rewind_keys(&req);
    }
    CHECK(parse_str("gats -5 x y\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_GATS);
    CHECK(req.exptime == -5);
    CHECK_EQ_U64(req.nkeys, 2);
    CHECK(view_is(req.keys, "x y"));
    CHECK(parse_str("gat 7\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_GAT && req.nkeys == 0 && req.exptime == 7);
    text_str k;
    CHECK(!text_next_key(&req, &k));
    /* keys may hold any byte but space, '\n' and NUL (memcached's tokenizer) */
    CHECK(parse_str("get k\t\x01\xff\r\r\n", &req) == TEXT_OK);
    CHECK(view_is(req.key, "k\t\x01\xff\r"));
}

static void test_many_keys(void)
{
    size_t nkeys = 20000, cap = nkeys * 12 + 16, len = 0;
    char *buf = malloc(cap);
    memcpy(buf, "get", 3);
    len = 3;
    for (size_t i = 0; i < nkeys; i++)
        len += (size_t)snprintf(buf + len, cap - len, " key%zu", i);
    memcpy(buf + len, "\r\n", 2);
    len += 2;
    text_request req = {0};
    /* arrive in 1000-byte pieces through one request (resume path) */
    size_t have = 0;
    text_status st = TEXT_EAGAIN;
    while (st == TEXT_EAGAIN && have < len) {
        have = have + 1000 < len ? have + 1000 : len;
        st = text_parse(buf, have, &req);
    }
    CHECK(st == TEXT_OK);
    CHECK_EQ_U64(req.nkeys, nkeys);
    CHECK_EQ_U64(req.line_len, len);
    text_str k;
    size_t n = 0;
    bool good = true;
    char want[32];
    while (text_next_key(&req, &k)) {
        int wl = snprintf(want, sizeof(want), "key%zu", n++);
        good &= k.len == (size_t)wl && memcmp(k.ptr, want, k.len) == 0;
    }
    CHECK(good);
    CHECK_EQ_U64(n, nkeys);
    free(buf);
}

static void test_storage_fields(void)
{
    text_request req;
    CHECK(parse_str("set foo 4294967295 -100 12345 noreply\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_SET && view_is(req.key, "foo"));
    CHECK_EQ_U64(req.flags, 4294967295u);
    CHECK(req.exptime == -100);
    CHECK_EQ_U64(req.nbytes, 12345);
    CHECK(req.noreply);
    CHECK(text_cmd_has_data(req.cmd));
    CHECK(parse_str("cas foo 1 2 3 18446744073709551615\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_CAS);
    CHECK_EQ_U64(req.cas, UINT64_MAX);
    CHECK(!req.noreply);
    /* memcached's truncations: flags keep 32 bits, exptime and bytes are 32-bit */
    CHECK(parse_str("set k 4294967297 4294967296 4294967297\r\n", &req) == TEXT_OK);
    CHECK_EQ_U64(req.flags, 1);
    CHECK(req.exptime == 0);
    CHECK_EQ_U64(req.nbytes, 1);
    CHECK(parse_str("set k 18446744073709551615 4294967295 2147483645\r\n", &req) == TEXT_OK);
    CHECK_EQ_U64(req.flags, 4294967295u);
    CHECK(req.exptime == -1);
    CHECK_EQ_U64(req.nbytes, 2147483645);
    CHECK(parse_str("set k -9223372036854775809 2147483648 0\r\n", &req) == TEXT_OK);
    CHECK_EQ_U64(req.flags, 4294967295u);
    CHECK(req.exptime == INT32_MIN);
    CHECK(parse_str("add k +5 -0 -0\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_ADD && req.flags == 5 && req.exptime == 0 && req.nbytes == 0);
    const char *names[] = { "set", "add", "replace", "append", "prepend", "cas" };
    text_cmd cmds[] = { TEXT_CMD_SET, TEXT_CMD_ADD, TEXT_CMD_REPLACE, TEXT_CMD_APPEND,
                        TEXT_CMD_PREPEND, TEXT_CMD_CAS };
    for (size_t i = 0; i < 6; i++) {
        char line[64];
        snprintf(line, sizeof(line), "%s k 1 2 3 4\r\n", names[i]);
        CHECK(parse_str(line, &req) == TEXT_OK);
        CHECK(req.cmd == cmds[i]);
        CHECK(strcmp(text_cmd_name(cmds[i]), names[i]) == 0);
        CHECK(text_cmd_has_data(cmds[i]));
    }
    CHECK(!text_cmd_has_data(TEXT_CMD_GET) && !text_cmd_has_data(TEXT_CMD_NONE));
    CHECK(!text_cmd_has_data((text_cmd)999));
    CHECK(strcmp(text_cmd_name((text_cmd)999), "") == 0);
}

static void test_other_fields(void)
{
    text_request req;
    CHECK(parse_str("delete abc 0 noreply\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_DELETE && view_is(req.key, "abc") && req.noreply);
    CHECK(parse_str("decr n 18446744073709551615 noreply\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_DECR && req.delta == UINT64_MAX && req.noreply);
    CHECK(parse_str("incr n -0\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_INCR && req.delta == 0);
    CHECK(parse_str("touch t -1\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_TOUCH && req.exptime == -1 && view_is(req.key, "t"));
    CHECK(parse_str("flush_all\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_FLUSH_ALL && !req.has_value && req.exptime == 0);
    CHECK(parse_str("flush_all 30 noreply\r\n", &req) == TEXT_OK);
    CHECK(req.has_value && req.exptime == 30 && req.noreply);
    CHECK(parse_str("flush_all abc\r\n", &req) == TEXT_CLIENT_ERROR);
    CHECK(req.cmd == TEXT_CMD_FLUSH_ALL); /* the daemon checks -F first */
    CHECK(parse_str("verbosity 3\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_VERBOSITY && req.has_value && req.value == 3);
    CHECK(parse_str("stats  detail   on  \r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_STATS && view_is(req.args, "detail   on"));
    text_str rest = req.args, tok;
    CHECK(text_next_token(&rest, &tok) && text_str_eq(tok, "detail"));
    CHECK(text_next_token(&rest, &tok) && text_str_eq(tok, "on"));
    CHECK(!text_next_token(&rest, &tok) && tok.len == 0);
    CHECK(parse_str("stats\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_STATS && req.args.len == 0);
    CHECK(parse_str("shutdown graceful\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_SHUTDOWN && req.graceful);
    CHECK(parse_str("shutdown\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_SHUTDOWN && !req.graceful);
    CHECK(parse_str("shutdown bogus\r\n", &req) == TEXT_CLIENT_ERROR);
    CHECK(req.cmd == TEXT_CMD_SHUTDOWN);
    CHECK(parse_str("debugtime 3600\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_DEBUGTIME && req.has_value && req.value == 3600);
    CHECK(view_is(req.args, "3600"));
    CHECK(parse_str("debugtime reset\r\n", &req) == TEXT_OK);
    CHECK(!req.has_value && view_is(req.args, "reset"));
    CHECK(parse_str("version\r\n", &req) == TEXT_OK && req.cmd == TEXT_CMD_VERSION);
    CHECK(parse_str("quit\r\n", &req) == TEXT_OK && req.cmd == TEXT_CMD_QUIT);
    CHECK(parse_str("ms key 5 T0\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_META && req.meta == TEXT_META_SET && req.nbytes == 5);
    CHECK(req.swallow == 7 && req.reply == TEXT_REPLY_ERROR && view_is(req.key, "key"));
    CHECK(view_is(req.args, "key 5 T0"));
    const char *metas[] = { "mg k", "ms k 1", "md k", "ma k", "mn", "me k" };
    for (int i = 0; i < 6; i++) {
        char line[32];
        snprintf(line, sizeof(line), "%s\r\n", metas[i]);
        CHECK(parse_str(line, &req) == TEXT_OK);
        CHECK(req.cmd == TEXT_CMD_META && req.meta == (text_meta)(TEXT_META_GET + i));
    }
}

/* A NUL ends the line's content (memcached reads the line as a C string). */
static void test_nul_bytes(void)
{
    text_request req;
    CHECK(parse_n("get k\0junk\r\n", 12, &req) == TEXT_OK);
    CHECK(view_is(req.key, "k") && req.nkeys == 1 && req.line_len == 12);
    CHECK(parse_n("set k\0a 0 0 1\r\n", 15, &req) == TEXT_ERROR);
    CHECK_EQ_U64(req.line_len, 15);
    CHECK(parse_n("\0get k\r\n", 8, &req) == TEXT_ERROR);
    check_all_splits("get k\0junk\r\n", 12);
    check_all_splits("set k 0 0\0 1\r\n", 14);
}

/* ---- long lines ------------------------------------------------------------ */

static text_status parse_fill(size_t n, const char *prefix, char fill, bool newline)
{
    size_t plen = strlen(prefix), total = n + (newline ? 2 : 0);
    char *buf = malloc(total);
    memcpy(buf, prefix, plen);
    memset(buf + plen, fill, n - plen);
    if (newline)
        memcpy(buf + n, "\r\n", 2);
    text_request req = {0};
    text_status st = text_parse(buf, total, &req);
    free(buf);
    return st;
}

static void test_long_lines(void)
{
    CHECK(parse_fill(TEXT_LINE_MAX, "x", 'x', false) == TEXT_EAGAIN);
    CHECK(parse_fill(TEXT_LINE_MAX + 1, "x", 'x', false) == TEXT_TOO_LONG);
    CHECK(parse_fill(TEXT_LINE_MAX + 1, "set k 0 0 1 ", 'a', false) == TEXT_TOO_LONG);
    CHECK(parse_fill(3000, "x", 'x', true) == TEXT_ERROR);         /* arrived whole */
    CHECK(parse_fill(3000, "set k 0 0 1 ", 'a', true) == TEXT_OK); /* extra token ignored */
    CHECK(parse_fill(100000, "get ", 'k', false) == TEXT_EAGAIN);
    CHECK(parse_fill(100000, "gets ", 'k', false) == TEXT_EAGAIN);
    CHECK(parse_fill(100000, "gat 0 ", 'k', false) == TEXT_EAGAIN);
    CHECK(parse_fill(100000, "gats 0 ", 'k', false) == TEXT_EAGAIN);
    CHECK(parse_fill(100000, "  get ", 'k', false) == TEXT_EAGAIN);
    CHECK(parse_fill(TEXT_GET_LINE_MAX, "get ", ' ', false) == TEXT_EAGAIN);
    CHECK(parse_fill(TEXT_GET_LINE_MAX + 1, "get ", ' ', false) == TEXT_TOO_LONG);
    CHECK(parse_fill(5000, "getx", 'k', false) == TEXT_TOO_LONG);
    CHECK(parse_fill(5000, "get", 'k', false) == TEXT_TOO_LONG);
    /* at most 100 spaces before a long get, as memcached */
    char pad[120];
    memset(pad, ' ', sizeof(pad));
    memcpy(pad + 100, "get ", 5);
    CHECK(parse_fill(5000, pad, 'k', false) == TEXT_EAGAIN);
    memcpy(pad + 101, "get ", 5);
    CHECK(parse_fill(5000, pad, 'k', false) == TEXT_TOO_LONG);
    /* a long get line with a too-long key is a CLIENT_ERROR, not a crash */
    CHECK(parse_fill(5000, "get ", 'k', true) == TEXT_CLIENT_ERROR);
    /* resume: a request reused across growing buffers */
    text_request req = {0};
    char *buf = malloc(TEXT_LINE_MAX + 10);
    memset(buf, 'x', TEXT_LINE_MAX + 10);
    CHECK(text_parse(buf, 1000, &req) == TEXT_EAGAIN);
    CHECK(text_parse(buf, TEXT_LINE_MAX, &req) == TEXT_EAGAIN);
    CHECK(text_parse(buf, TEXT_LINE_MAX + 1, &req) == TEXT_TOO_LONG);
    /* a shorter buffer than the one scanned before (caller restarted): still right */
    CHECK(text_parse(buf, 1000, &req) == TEXT_EAGAIN);
    memcpy(buf + 5, "\r\n", 2);
    CHECK(text_parse(buf, 7, &req) == TEXT_ERROR);
    CHECK_EQ_U64(req.line_len, 7);
    free(buf);
}

/* ---- a byte stream processed the way the daemon does ------------------------ */

typedef struct sim {
    char log[1024];
    size_t loglen;
} sim;

static void sim_log(sim *s, const char *what, text_str v)
{
    int n = snprintf(s->log + s->loglen, sizeof(s->log) - s->loglen, "%s:%.*s|", what,
                     (int)v.len, v.ptr);
    if (n > 0 && (size_t)n < sizeof(s->log) - s->loglen)
        s->loglen += (size_t)n;
}

/*
 * Runs a whole stream; bytes become available in pieces of `step` bytes
 * (step 0: all at once). Returns false on an inconsistency.
 */
static bool sim_run(const char *stream, size_t n, size_t step, sim *s)
{
    text_request req = {0};
    size_t have = step ? 0 : n, pos = 0;
    s->loglen = 0;
    s->log[0] = '\0';
    uint64_t skip = 0;
    for (;;) {
        if (skip > 0) {
            size_t take = (size_t)(skip < have - pos ? skip : have - pos);
            pos += take;
            skip -= take;
        }
        if (pos == have) {
            if (have == n)
                return skip == 0;
            have = have + step < n ? have + step : n;
            continue;
        }
        char *copy = exact_copy(stream + pos, have - pos);
        text_status st = text_parse(copy, have - pos, &req);
        if (st == TEXT_EAGAIN) {
            free(copy);
            if (have == n)
                return false; /* every test stream ends in a complete line */
            have = have + step < n ? have + step : n;
            continue;
        }
        if (st == TEXT_TOO_LONG) {
            free(copy);
            return false;
        }
        size_t line = req.line_len;
        if (st != TEXT_OK || req.cmd == TEXT_CMD_META) {
            sim_log(s, req.noreply ? "quiet" : "reply", (text_str){ text_reply_str(req.reply),
                                                                    text_reply_len(req.reply) - 2 });
            skip = req.swallow;
        } else if (text_cmd_has_data(req.cmd)) {
            sim_log(s, text_cmd_name(req.cmd), req.key);
            size_t block = (size_t)req.nbytes + 2;
            free(copy);
            while (have - pos < line + block && have < n)
                have = have + (step ? step : n) < n ? have + (step ? step : n) : n;
            if (have - pos < line + block)
                return false;
            copy = exact_copy(stream + pos, line + block);
            bool ok = text_data_block_ok(copy + line, (size_t)req.nbytes);
            sim_log(s, ok ? "data" : "bad", (text_str){ copy + line, (size_t)req.nbytes });
            line += block;
        } else {
            sim_log(s, text_cmd_name(req.cmd), req.keys.len ? req.keys : req.key);
        }
        free(copy);
        pos += line;
    }
}

static void test_streams(void)
{
    static const char *streams[] = {
        "set k 0 0 5\r\nhello\r\nget k\r\n",
        "set k 0 0 5\r\nhelloXXget k\r\n",
        "set k 0 0 5\r\nhello\nXget k\r\n",
        "set k abc 0 1\r\nx\r\nget k\r\n",
        "ms k 2\r\nhi\r\nmn\r\n",
        "cas k 0 0 1 5 noreply\r\nx\r\ndelete k\r\n",
        "set k 0 0 0\r\n\r\nincr k 1\r\n",
        "get a b\r\ngets c\r\n\r\nquit\r\n",
        "append k 0 0 4 noreply\nab\r\n\r\nprepend k 0 0 1\r\n\n\r\nversion\r\n",
        "set k 0 0 1 noreply\r\nxYZget k\r\nincr k abc noreply\r\nincr k abc\r\n",
    };
    static const char *want[] = {
        "set:k|data:hello|get:k|",
        "set:k|bad:hello|get:k|",
        "set:k|bad:hello|get:k|",
        "reply:CLIENT_ERROR bad command line format|reply:ERROR|get:k|",
        "reply:ERROR|reply:ERROR|",
        "cas:k|data:x|delete:k|",
        "set:k|data:|incr:k|",
        "get:a b|gets:c|reply:ERROR|quit:|",
        "append:k|data:ab\r\n|prepend:k|data:\n|version:|",
        "set:k|bad:x|get:k|quiet:CLIENT_ERROR invalid numeric delta argument|"
        "reply:CLIENT_ERROR invalid numeric delta argument|",
    };
    for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
        size_t n = strlen(streams[i]);
        sim s;
        CHECK(sim_run(streams[i], n, 0, &s));
        if (strcmp(s.log, want[i]) != 0)
            fprintf(stderr, "stream %zu: got '%s'\n", i, s.log);
        CHECK(strcmp(s.log, want[i]) == 0);
        bool same = true;
        for (size_t step = 1; step <= n; step++) {
            same &= sim_run(streams[i], n, step, &s);
            same &= strcmp(s.log, want[i]) == 0;
        }
        CHECK(same);
    }
}

/* ---- garbage ----------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static bool view_inside(text_str v, const char *buf, size_t len)
{
    return v.len == 0 || (v.ptr >= buf && v.ptr + v.len <= buf + len);
}

/* Invariants of any parse result on any input. */
static bool parse_sane(const char *buf, size_t len, text_status st, text_request *req)
{
    if (st == TEXT_EAGAIN)
        return memchr(buf, '\n', len) == NULL && len <= TEXT_GET_LINE_MAX;
    if (st == TEXT_TOO_LONG)
        return memchr(buf, '\n', len) == NULL && len > TEXT_LINE_MAX;
    if (st != TEXT_OK && st != TEXT_ERROR && st != TEXT_CLIENT_ERROR)
        return false;
    size_t ll = req->line_len;
    bool ok = ll >= 1 && ll <= len && buf[ll - 1] == '\n' && memchr(buf, '\n', ll - 1) == NULL;
    ok &= view_inside(req->key, buf, ll) && view_inside(req->keys, buf, ll);
    ok &= view_inside(req->args, buf, ll);
    if (st != TEXT_OK)
        ok &= text_reply_len(req->reply) > 0 && req->swallow == 0;
    if (st == TEXT_OK && (req->cmd == TEXT_CMD_GET || req->cmd == TEXT_CMD_GETS ||
                          req->cmd == TEXT_CMD_GAT || req->cmd == TEXT_CMD_GATS)) {
        text_str k;
        size_t n = 0;
        while (text_next_key(req, &k)) {
            ok &= k.len >= 1 && k.len <= TEXT_KEY_MAX && memchr(k.ptr, ' ', k.len) == NULL;
            n++;
        }
        ok &= n == req->nkeys;
    }
    if (st == TEXT_OK && text_cmd_has_data(req->cmd))
        ok &= req->nbytes <= INT32_MAX - 2 && req->key.len <= TEXT_KEY_MAX;
    return ok;
}

static const char *const fuzz_words[] = {
    "get", "gets", "gat", "gats", "set", "add", "replace", "append", "prepend", "cas",
    "delete", "incr", "decr", "touch", "flush_all", "version", "verbosity", "quit",
    "shutdown", "stats", "debugtime", "mg", "ms", "md", "ma", "mn", "me", "noreply", "0",
    "1", "-1", "18446744073709551615", "18446744073709551616", "4294967296", "-0", "+7",
    "2147483645", "9223372036854775808", " ", " ", " ", "\r", "\n", "\r\n", "\t", "\0",
    "k", "key", KEY250, KEY251, "graceful", "detail", "on",
};

static size_t fuzz_make(char *buf, size_t cap)
{
    size_t len = 0, words = (size_t)(rng() % 12);
    for (size_t w = 0; w < words; w++) {
        if (rng() % 8 == 0) {
            if (len < cap)
                buf[len++] = (char)(rng() & 0xff);
            continue;
        }
        const char *word = fuzz_words[rng() % (sizeof(fuzz_words) / sizeof(fuzz_words[0]))];
        size_t wl = word[0] ? strlen(word) : 1;
        if (len + wl + 1 > cap)
            break;
        memcpy(buf + len, word, wl);
        len += wl;
        if (rng() % 2)
            buf[len++] = ' ';
    }
    return len;
}

static void test_garbage(void)
{
    char buf[1200];
    bool sane = true, splits_ok = true;
    for (int i = 0; i < 30000; i++) {
        size_t len = fuzz_make(buf, sizeof(buf));
        if (rng() % 4 == 0 && len + 2 <= sizeof(buf)) {
            memcpy(buf + len, "\r\n", 2);
            len += 2;
        }
        char *copy = exact_copy(buf, len);
        text_request req = {0};
        text_status st = text_parse(copy, len, &req);
        sane &= parse_sane(copy, len, st, &req);
        free(copy);
        if (i % 20 == 0) {
            size_t before = check_failed_count;
            check_all_splits(buf, len);
            splits_ok &= check_failed_count == before;
        }
    }
    for (int i = 0; i < 20000; i++) { /* plain random bytes */
        size_t len = (size_t)(rng() % 64);
        for (size_t j = 0; j < len; j++)
            buf[j] = (char)(rng() % 4 == 0 ? '\n' : rng() & 0xff);
        char *copy = exact_copy(buf, len);
        text_request req = {0};
        text_status st = text_parse(copy, len, &req);
        sane &= parse_sane(copy, len, st, &req);
        text_reply_msg msg;
        st = text_parse_reply(copy, len, &msg);
        sane &= st == TEXT_EAGAIN || st == TEXT_CLIENT_ERROR ||
                (st == TEXT_OK && msg.len <= len && msg.code != TEXT_REPLY_NONE);
        free(copy);
    }
    CHECK(sane);
    CHECK(splits_ok);
}

/* ---- composing replies ------------------------------------------------------- */

/*
 * Runs COMPOSE (an expression using `cbuf` and `ccap`) with every capacity
 * from 0 to the full length: short capacities must return 0 and leave the
 * guard bytes alone; the full one must give exactly WANT.
 */
#define CHECK_COMPOSE(COMPOSE, WANT)                                             \
    do {                                                                         \
        const char *want_ = (WANT);                                              \
        size_t wlen_ = strlen(want_);                                            \
        bool fine_ = true;                                                       \
        for (size_t ccap = 0; ccap <= wlen_ + 1; ccap++) {                       \
            char *cbuf = malloc(ccap + 8);                                       \
            memset(cbuf, '#', ccap + 8);                                         \
            size_t got_ = (COMPOSE);                                             \
            if (ccap < wlen_)                                                    \
                fine_ &= got_ == 0;                                              \
            else                                                                 \
                fine_ &= got_ == wlen_ && memcmp(cbuf, want_, wlen_) == 0;       \
            for (size_t g_ = (ccap < wlen_ ? ccap : wlen_); g_ < ccap + 8; g_++) \
                fine_ &= g_ < ccap || cbuf[g_] == '#';                           \
            free(cbuf);                                                          \
        }                                                                        \
        if (!fine_)                                                              \
            fprintf(stderr, "compose mismatch, want '%s'\n", want_);             \
        CHECK(fine_);                                                            \
    } while (0)

static const text_str key_foo = { "foo", 3 };

static void test_compose_replies(void)
{
    static const char *fixed[] = {
        [TEXT_REPLY_STORED] = "STORED\r\n", [TEXT_REPLY_NOT_STORED] = "NOT_STORED\r\n",
        [TEXT_REPLY_EXISTS] = "EXISTS\r\n", [TEXT_REPLY_NOT_FOUND] = "NOT_FOUND\r\n",
        [TEXT_REPLY_DELETED] = "DELETED\r\n", [TEXT_REPLY_TOUCHED] = "TOUCHED\r\n",
        [TEXT_REPLY_OK] = "OK\r\n", [TEXT_REPLY_END] = "END\r\n", [TEXT_REPLY_ERROR] = "ERROR\r\n",
        [TEXT_REPLY_RESET] = "RESET\r\n",
        [TEXT_REPLY_CE_BAD_FORMAT] = "CLIENT_ERROR bad command line format\r\n",
        [TEXT_REPLY_CE_BAD_DATA_CHUNK] = "CLIENT_ERROR bad data chunk\r\n",
        [TEXT_REPLY_CE_INVALID_DELTA] = "CLIENT_ERROR invalid numeric delta argument\r\n",
        [TEXT_REPLY_CE_INVALID_EXPTIME] = "CLIENT_ERROR invalid exptime argument\r\n",
        [TEXT_REPLY_CE_DELETE_USAGE] =
            "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n",
        [TEXT_REPLY_CE_NON_NUMERIC] =
            "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n",
        [TEXT_REPLY_CE_FLUSH_DISABLED] = "CLIENT_ERROR flush_all not allowed\r\n",
        [TEXT_REPLY_CE_STATS_DETAIL_USAGE] = "CLIENT_ERROR usage: stats detail on|off|dump\r\n",
        [TEXT_REPLY_CE_BAD_COMMAND_LINE] = "CLIENT_ERROR bad command line\r\n",
        [TEXT_REPLY_CE_SHUTDOWN_MODE] = "CLIENT_ERROR invalid shutdown mode\r\n",
        [TEXT_REPLY_SE_TOO_LARGE] = "SERVER_ERROR object too large for cache\r\n",
        [TEXT_REPLY_SE_OOM_STORING] = "SERVER_ERROR out of memory storing object\r\n",
        [TEXT_REPLY_SE_OOM] = "SERVER_ERROR out of memory\r\n",
        [TEXT_REPLY_SHUTDOWN_DISABLED] = "ERROR: shutdown not enabled\r\n",
        [TEXT_REPLY_TOO_MANY_CONNS] = "ERROR Too many open connections\r\n",
        [TEXT_REPLY_REASSIGN_BUSY] = "BUSY currently processing reassign request\r\n",
        [TEXT_REPLY_REASSIGN_BADCLASS] = "BADCLASS invalid src or dst class id\r\n",
        [TEXT_REPLY_REASSIGN_NOSPARE] = "NOSPARE source class has no spare pages\r\n",
        [TEXT_REPLY_REASSIGN_SAME] = "SAME src and dst class are identical\r\n",
        [TEXT_REPLY_CE_REASSIGN_DISABLED] = "CLIENT_ERROR slab reassignment disabled\r\n",
        [TEXT_REPLY_CRAWLER_BADCLASS] = "BADCLASS invalid class id\r\n",
        [TEXT_REPLY_CE_CRAWLER_DISABLED] = "CLIENT_ERROR lru crawler disabled\r\n",
        [TEXT_REPLY_CRAWLER_NOTSTARTED] = "NOTSTARTED no items to crawl\r\n",
        [TEXT_REPLY_CRAWLER_UNKNOWN] = "ERROR an unknown error happened\r\n",
    };
    CHECK(sizeof(fixed) / sizeof(fixed[0]) == TEXT_REPLY__FIXED);
    for (int r = TEXT_REPLY_NONE + 1; r < TEXT_REPLY__FIXED; r++) {
        CHECK(fixed[r] != NULL && strcmp(text_reply_str((text_reply)r), fixed[r]) == 0);
        CHECK_EQ_U64(text_reply_len((text_reply)r), strlen(fixed[r]));
        CHECK_COMPOSE(text_compose_reply(cbuf, ccap, (text_reply)r), fixed[r]);
        text_reply_msg msg;
        CHECK(text_parse_reply(fixed[r], strlen(fixed[r]), &msg) == TEXT_OK);
        CHECK(msg.code == (text_reply)r && msg.len == strlen(fixed[r]));
    }
    CHECK(strcmp(text_reply_str(TEXT_REPLY_NONE), "") == 0);
    CHECK(strcmp(text_reply_str(TEXT_REPLY_VALUE), "") == 0 && text_reply_len(TEXT_REPLY_VALUE) == 0);
    CHECK(strcmp(text_crlf(), "\r\n") == 0 && TEXT_CRLF_LEN == 2);

    CHECK_COMPOSE(text_compose_value(cbuf, ccap, key_foo, 0, 5, false, 0), "VALUE foo 0 5\r\n");
    CHECK_COMPOSE(text_compose_value(cbuf, ccap, key_foo, UINT32_MAX, 1048576, true, UINT64_MAX),
                  "VALUE foo 4294967295 1048576 18446744073709551615\r\n");
    text_str k250 = { KEY250, 250 };
    char big[400];
    size_t n = text_compose_value(big, sizeof(big), k250, UINT32_MAX, UINT64_MAX, true, UINT64_MAX);
    CHECK(n > 0 && n <= 250 + TEXT_VALUE_OVERHEAD);
    CHECK_COMPOSE(text_compose_number(cbuf, ccap, 0), "0\r\n");
    CHECK_COMPOSE(text_compose_number(cbuf, ccap, UINT64_MAX), "18446744073709551615\r\n");
    CHECK_COMPOSE(text_compose_version(cbuf, ccap, "1.6.18"), "VERSION 1.6.18\r\n");
    CHECK_COMPOSE(text_compose_client_error(cbuf, ccap, "bad command line"),
                  "CLIENT_ERROR bad command line\r\n");
    CHECK_COMPOSE(text_compose_server_error(cbuf, ccap, "oops"), "SERVER_ERROR oops\r\n");
    CHECK_COMPOSE(text_compose_stat_u64(cbuf, ccap, "curr_items", 42), "STAT curr_items 42\r\n");
    CHECK_COMPOSE(text_compose_stat_i64(cbuf, ccap, "delta", -7), "STAT delta -7\r\n");
    CHECK_COMPOSE(text_compose_stat_i64(cbuf, ccap, "min", INT64_MIN),
                  "STAT min -9223372036854775808\r\n");
    CHECK_COMPOSE(text_compose_stat_str(cbuf, ccap, "version", "1.6.18"), "STAT version 1.6.18\r\n");
    CHECK_COMPOSE(text_compose_stat_timeval(cbuf, ccap, "rusage_user", 0, 123456),
                  "STAT rusage_user 0.123456\r\n");
    CHECK_COMPOSE(text_compose_stat_timeval(cbuf, ccap, "rusage_system", 12, 7),
                  "STAT rusage_system 12.000007\r\n");
    CHECK_COMPOSE(text_compose_stat_double(cbuf, ccap, "growth_factor", 1.25),
                  "STAT growth_factor 1.25\r\n");
    CHECK_COMPOSE(text_compose_stat_prefixed_u64(cbuf, ccap, "items", 3, "number", 9),
                  "STAT items:3:number 9\r\n");
    CHECK_COMPOSE(text_compose_stat_prefixed_u64(cbuf, ccap, "", 1, "chunk_size", 96),
                  "STAT 1:chunk_size 96\r\n");
    CHECK_COMPOSE(text_compose_stat_prefixed_u64(cbuf, ccap, NULL, 1, "chunk_size", 96),
                  "STAT 1:chunk_size 96\r\n");
}

/* ---- composing requests, round trips ---------------------------------------------- */

static void test_compose_requests(void)
{
    text_str keys[3] = { { "a", 1 }, { "bb", 2 }, { "ccc", 3 } };
    CHECK_COMPOSE(text_compose_get(cbuf, ccap, TEXT_CMD_GET, keys, 3), "get a bb ccc\r\n");
    CHECK_COMPOSE(text_compose_get(cbuf, ccap, TEXT_CMD_GETS, keys, 1), "gets a\r\n");
    CHECK_COMPOSE(text_compose_gat(cbuf, ccap, TEXT_CMD_GAT, -1, keys, 2), "gat -1 a bb\r\n");
    CHECK_COMPOSE(text_compose_gat(cbuf, ccap, TEXT_CMD_GATS, 100, keys, 1), "gats 100 a\r\n");
    CHECK_COMPOSE(text_compose_store(cbuf, ccap, TEXT_CMD_SET, key_foo, 5, 0, "hello", 5, 0, false),
                  "set foo 5 0 5\r\nhello\r\n");
    CHECK_COMPOSE(text_compose_store(cbuf, ccap, TEXT_CMD_CAS, key_foo, 0, -1, "x", 1, 99, true),
                  "cas foo 0 -1 1 99 noreply\r\nx\r\n");
    CHECK_COMPOSE(text_compose_delete(cbuf, ccap, key_foo, true), "delete foo noreply\r\n");
    CHECK_COMPOSE(text_compose_arith(cbuf, ccap, TEXT_CMD_DECR, key_foo, 3, false), "decr foo 3\r\n");
    CHECK_COMPOSE(text_compose_touch(cbuf, ccap, key_foo, 60, false), "touch foo 60\r\n");
    char buf[64];
    CHECK(text_compose_get(buf, sizeof(buf), TEXT_CMD_SET, keys, 1) == 0);
    CHECK(text_compose_gat(buf, sizeof(buf), TEXT_CMD_GET, 0, keys, 1) == 0);
    CHECK(text_compose_arith(buf, sizeof(buf), TEXT_CMD_GET, key_foo, 1, false) == 0);
    CHECK(text_compose_store(buf, sizeof(buf), TEXT_CMD_GET, key_foo, 0, 0, "", 0, 0, false) == 0);
    text_request none = {0};
    CHECK(text_compose_request(buf, sizeof(buf), &none) == 0);

    /* parse -> compose -> parse gives the same request, for the whole table */
    bool same = true;
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        text_request a, b = {0};
        if (parse_str(parse_cases[i].line, &a) != TEXT_OK)
            continue;
        char out[1024];
        size_t n = text_compose_request(out, sizeof(out), &a);
        text_status st = text_parse(out, n, &b);
        /* compose writes canonical numbers: compare the parsed values, not the text */
        bool ok = n > 0 && st == TEXT_OK && b.line_len == n && a.cmd == b.cmd &&
                  a.meta == b.meta && views_same(a.key, b.key) && views_same(a.keys, b.keys) &&
                  a.nkeys == b.nkeys && a.flags == b.flags && a.exptime == b.exptime &&
                  a.nbytes == b.nbytes && a.cas == b.cas && a.delta == b.delta &&
                  a.noreply == b.noreply && a.graceful == b.graceful &&
                  a.has_value == b.has_value && (!a.has_value || a.value == b.value);
        if (!ok)
            fprintf(stderr, "round trip of '%s' gave '%.*s'\n", parse_cases[i].line, (int)n, out);
        same &= ok;
    }
    CHECK(same);
}

static void random_key(char *out, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = (char)(rng() & 0xff);
        out[i] = (c == ' ' || c == '\n' || c == '\0') ? 'x' : c;
    }
}

static void test_random_round_trips(void)
{
    static const text_cmd store_cmds[] = { TEXT_CMD_SET, TEXT_CMD_ADD, TEXT_CMD_REPLACE,
                                           TEXT_CMD_APPEND, TEXT_CMD_PREPEND, TEXT_CMD_CAS };
    char keybuf[TEXT_KEY_MAX], data[64], out[512];
    bool ok = true;
    for (int i = 0; i < 20000; i++) {
        text_str key = { keybuf, 1 + (size_t)(rng() % TEXT_KEY_MAX) };
        random_key(keybuf, key.len);
        text_cmd cmd = store_cmds[rng() % 6];
        uint32_t flags = (uint32_t)rng();
        int64_t exptime = (int32_t)(uint32_t)rng();
        size_t nbytes = (size_t)(rng() % sizeof(data));
        uint64_t cas = rng();
        bool noreply = rng() % 2;
        random_key(data, nbytes);
        size_t n = text_compose_store(out, sizeof(out), cmd, key, flags, exptime, data, nbytes,
                                      cas, noreply);
        text_request req = {0};
        ok &= n > 0 && text_parse(out, n, &req) == TEXT_OK;
        ok &= req.cmd == cmd && views_same(req.key, key) && req.flags == flags &&
              req.exptime == exptime && req.nbytes == nbytes && req.noreply == noreply &&
              (cmd != TEXT_CMD_CAS || req.cas == cas);
        ok &= req.line_len + nbytes + 2 == n && text_data_block_ok(out + req.line_len, nbytes);
        ok &= memcmp(out + req.line_len, data, nbytes) == 0;

        uint64_t delta = rng();
        n = text_compose_arith(out, sizeof(out), TEXT_CMD_INCR, key, delta, noreply);
        ok &= text_parse(out, n, &req) == TEXT_OK && req.delta == delta && req.noreply == noreply;
        n = text_compose_touch(out, sizeof(out), key, exptime, noreply);
        ok &= text_parse(out, n, &req) == TEXT_OK && req.exptime == exptime;
        n = text_compose_delete(out, sizeof(out), key, noreply);
        ok &= text_parse(out, n, &req) == TEXT_OK && views_same(req.key, key);
        text_str two[2] = { key, { "z", 1 } };
        n = text_compose_gat(out, sizeof(out), TEXT_CMD_GATS, exptime, two, 2);
        ok &= text_parse(out, n, &req) == TEXT_OK && req.nkeys == 2 && views_same(req.key, key);
    }
    CHECK(ok);
}

/* ---- stats detail dump lines ---------------------------------------------------- */

static void test_compose_detail_prefix(void)
{
    static const char want[] = "PREFIX user get 4 hit 3 set 18446744073709551615 del 0\r\n";
    char buf[128];
    size_t n = text_compose_detail_prefix(buf, sizeof buf, (text_str){ "user", 4 }, 4, 3,
                                          UINT64_MAX, 0);
    CHECK_EQ_U64(n, strlen(want));
    CHECK(memcmp(buf, want, n) == 0);
    n = text_compose_detail_prefix(buf, sizeof buf, (text_str){ "", 0 }, 0, 0, 1, 0);
    CHECK_EQ_U64(n, strlen("PREFIX  get 0 hit 0 set 1 del 0\r\n"));
    CHECK(memcmp(buf, "PREFIX  get 0 hit 0 set 1 del 0\r\n", n) == 0);
    /* too small a buffer: nothing, never a partial line */
    CHECK_EQ_U64(text_compose_detail_prefix(buf, strlen(want) - 1, (text_str){ "user", 4 },
                                            4, 3, UINT64_MAX, 0), 0);
    CHECK_EQ_U64(text_compose_detail_prefix(buf, strlen(want), (text_str){ "user", 4 },
                                            4, 3, UINT64_MAX, 0), strlen(want));
}

/* ---- admin commands: fields, class lists, metadump lines ----------------------- */

static void test_admin_fields(void)
{
    text_request req;
    CHECK(parse_str("slabs reassign -1 12\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_SLABS_REASSIGN && req.src_class == -1 && req.dst_class == 12);
    CHECK(parse_str("slabs reassign 4294967297 -4294967296\r\n", &req) == TEXT_OK);
    CHECK(req.src_class == 1 && req.dst_class == 0);
    CHECK(parse_str("slabs automove 2 noreply\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_SLABS_AUTOMOVE && req.value == 2 && req.has_value && req.noreply);
    CHECK(parse_str("lru_crawler crawl all\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_LRU_CRAWLER_CRAWL && req.all_classes);
    CHECK(text_class_list_check(&req) == TEXT_REPLY_NONE);
    CHECK(parse_str("lru_crawler crawl hash\r\n", &req) == TEXT_OK && !req.all_classes);
    CHECK(text_class_list_check(&req) == TEXT_REPLY_CRAWLER_UNKNOWN);
    CHECK(parse_str("lru_crawler metadump hash\r\n", &req) == TEXT_OK && req.all_classes);
    CHECK(req.cmd == TEXT_CMD_LRU_CRAWLER_METADUMP);
    CHECK(strcmp(text_cmd_name(TEXT_CMD_SLABS_REASSIGN), "slabs reassign") == 0);
    CHECK(strcmp(text_cmd_name(TEXT_CMD_LRU_CRAWLER_METADUMP), "lru_crawler metadump") == 0);
    CHECK(!text_cmd_has_data(TEXT_CMD_SLABS_AUTOMOVE));
}

/* The class list "line" after "lru_crawler crawl ": check result and the ids walked. */
static void check_class_list(const char *list, text_reply want, const char *ids)
{
    char line[128], got[128] = "";
    snprintf(line, sizeof(line), "lru_crawler crawl %s\r\n", list);
    text_request req;
    CHECK(parse_str(line, &req) == TEXT_OK);
    text_reply r = text_class_list_check(&req);
    if (r != want)
        fprintf(stderr, "class list '%s' -> %d, want %d\n", list, r, want);
    CHECK(r == want);
    if (r != TEXT_REPLY_NONE)
        return;
    text_str rest = req.args;
    uint64_t id;
    while (text_next_class(&rest, &id))
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%llu", got[0] ? " " : "",
                 (unsigned long long)id);
    if (strcmp(got, ids) != 0)
        fprintf(stderr, "class list '%s' -> ids '%s', want '%s'\n", list, got, ids);
    CHECK(strcmp(got, ids) == 0);
}

static void test_class_lists(void)
{
    check_class_list("1", TEXT_REPLY_NONE, "1");
    check_class_list("1,2,3", TEXT_REPLY_NONE, "1 2 3");
    check_class_list("1,", TEXT_REPLY_NONE, "1");
    check_class_list(",1", TEXT_REPLY_NONE, "1");
    check_class_list("1,,63", TEXT_REPLY_NONE, "1 63");
    check_class_list("+1,01", TEXT_REPLY_NONE, "1 1");
    check_class_list("0", TEXT_REPLY_CRAWLER_BADCLASS, "");
    check_class_list("64", TEXT_REPLY_CRAWLER_BADCLASS, "");
    check_class_list("1,64", TEXT_REPLY_CRAWLER_BADCLASS, "");
    check_class_list("-1", TEXT_REPLY_CRAWLER_BADCLASS, "");
    check_class_list("x", TEXT_REPLY_CRAWLER_BADCLASS, "");
    check_class_list("1x", TEXT_REPLY_CRAWLER_BADCLASS, "");
    check_class_list("1,x", TEXT_REPLY_CRAWLER_BADCLASS, "");
    check_class_list("ALL", TEXT_REPLY_CRAWLER_BADCLASS, "");
    check_class_list("18446744073709551616", TEXT_REPLY_CRAWLER_BADCLASS, "");
    check_class_list(",", TEXT_REPLY_CRAWLER_NOTSTARTED, "");
    check_class_list(",,,", TEXT_REPLY_CRAWLER_NOTSTARTED, "");
}

static void test_compose_metadump(void)
{
    text_metadump_item m = { { "foo", 3 }, 0, 1795259830, 1, true, 1, 65 };
    CHECK_COMPOSE(text_compose_metadump(cbuf, ccap, &m),
                  "key=foo exp=-1 la=1795259830 cas=1 fetch=yes cls=1 size=65\n");
    text_metadump_item e = { { "a%20b~.-_Z9 \xff", 13 }, 1795260830, 7, UINT64_MAX, false,
                             63, 70 };
    CHECK_COMPOSE(text_compose_metadump(cbuf, ccap, &e),
                  "key=a%2520b~.-_Z9%20%FF exp=1795260830 la=7 cas=18446744073709551615 "
                  "fetch=no cls=63 size=70\n");
    char key[TEXT_KEY_MAX], line[TEXT_METADUMP_LINE_MAX];
    memset(key, ' ', sizeof(key));
    text_metadump_item big = { { key, TEXT_KEY_MAX }, INT64_MAX, INT64_MIN, UINT64_MAX, true,
                               UINT32_MAX, UINT64_MAX };
    size_t n = text_compose_metadump(line, sizeof(line), &big);
    CHECK(n > 3 * TEXT_KEY_MAX && n <= sizeof(line) && line[n - 1] == '\n');
    CHECK(text_compose_metadump(line, n - 1, &big) == 0);
}

static void test_admin_round_trips(void)
{
    const char *lines[] = { "slabs reassign -1 12\r\n", "slabs automove 2\r\n",
                            "slabs automove 0 noreply\r\n", "lru_crawler crawl 1,2\r\n",
                            "lru_crawler metadump all\r\n" };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        text_request req, back;
        CHECK(parse_str(lines[i], &req) == TEXT_OK);
        CHECK_COMPOSE(text_compose_request(cbuf, ccap, &req), lines[i]);
        CHECK(parse_str(lines[i], &back) == TEXT_OK && requests_same(&req, &back));
    }
}

/* ---- reply parser ----------------------------------------------------------------- */

static void check_reply_splits(const char *s, size_t n)
{
    text_reply_msg whole, piece;
    CHECK(text_parse_reply(s, n, &whole) == TEXT_OK);
    CHECK_EQ_U64(whole.len, n);
    bool ok = true;
    for (size_t k = 0; k < n; k++) {
        char *copy = exact_copy(s, k);
        ok &= text_parse_reply(copy, k, &piece) == TEXT_EAGAIN;
        free(copy);
    }
    CHECK(ok);
}

static void test_reply_parser(void)
{
    const char *v = "VALUE foo 7 5 99\r\nhello\r\nEND\r\n";
    text_reply_msg m;
    CHECK(text_parse_reply(v, strlen(v), &m) == TEXT_OK);
    CHECK(m.code == TEXT_REPLY_VALUE && view_is(m.key, "foo") && m.flags == 7);
    CHECK(m.nbytes == 5 && m.has_cas && m.cas == 99 && view_is(m.data, "hello"));
    CHECK_EQ_U64(m.len, 25);
    CHECK(text_parse_reply(v + m.len, strlen(v) - m.len, &m) == TEXT_OK && m.code == TEXT_REPLY_END);
    check_reply_splits(v, 25);
    const char *v0 = "VALUE k 0 0\r\n\r\n";
    CHECK(text_parse_reply(v0, strlen(v0), &m) == TEXT_OK);
    CHECK(m.code == TEXT_REPLY_VALUE && !m.has_cas && m.data.len == 0 && m.len == strlen(v0));
    check_reply_splits(v0, strlen(v0));
    CHECK(text_parse_reply("VALUE k 0 2\r\nabXY", 17, &m) == TEXT_CLIENT_ERROR);
    CHECK(text_parse_reply("VALUE k x 2\r\nab\r\n", 17, &m) == TEXT_CLIENT_ERROR);
    CHECK(text_parse_reply("VALUE k 4294967296 2\r\nab\r\n", 26, &m) == TEXT_CLIENT_ERROR);
    CHECK(text_parse_reply("VALUE k 0\r\n", 11, &m) == TEXT_CLIENT_ERROR);
    CHECK(text_parse_reply("VALUE k 0 1 2 3\r\nx\r\n", 20, &m) == TEXT_CLIENT_ERROR);
    CHECK(text_parse_reply("VALUE k 0 18446744073709551615\r\n", 32, &m) == TEXT_EAGAIN);

    CHECK(text_parse_reply("STAT pid 42\r\n", 13, &m) == TEXT_OK);
    CHECK(m.code == TEXT_REPLY_STAT && view_is(m.name, "pid") && view_is(m.text, "42"));
    CHECK(text_parse_reply("STAT libevent 2.1 stable\r\n", 26, &m) == TEXT_OK);
    CHECK(view_is(m.name, "libevent") && view_is(m.text, "2.1 stable"));
    CHECK(text_parse_reply("VERSION 1.6.18\r\n", 16, &m) == TEXT_OK);
    CHECK(m.code == TEXT_REPLY_VERSION && view_is(m.text, "1.6.18"));
    CHECK(text_parse_reply("18446744073709551615\r\n", 22, &m) == TEXT_OK);
    CHECK(m.code == TEXT_REPLY_NUMBER && m.number == UINT64_MAX);
    CHECK(text_parse_reply("18446744073709551616\r\n", 22, &m) == TEXT_OK);
    CHECK(m.code == TEXT_REPLY_OTHER);
    CHECK(text_parse_reply("CLIENT_ERROR something\r\n", 24, &m) == TEXT_OK);
    CHECK(m.code == TEXT_REPLY_CLIENT_ERROR && view_is(m.text, "something"));
    CHECK(text_parse_reply("SERVER_ERROR busy\n", 18, &m) == TEXT_OK);
    CHECK(m.code == TEXT_REPLY_SERVER_ERROR && view_is(m.text, "busy") && m.len == 18);
    CHECK(text_parse_reply("HD\r\n", 4, &m) == TEXT_OK);
    CHECK(m.code == TEXT_REPLY_OTHER && view_is(m.text, "HD"));
    CHECK(text_parse_reply("STORED\r", 7, &m) == TEXT_EAGAIN);
    CHECK(text_parse_reply(NULL, 0, &m) == TEXT_EAGAIN);
    check_reply_splits("STAT pid 42\r\n", 13);

    /* a composed reply stream parses back */
    char out[256];
    size_t n = 0;
    n += text_compose_value(out + n, sizeof(out) - n, key_foo, 3, 2, true, 11);
    memcpy(out + n, "hi\r\n", 4);
    n += 4;
    n += text_compose_reply(out + n, sizeof(out) - n, TEXT_REPLY_END);
    n += text_compose_number(out + n, sizeof(out) - n, 77);
    n += text_compose_stat_u64(out + n, sizeof(out) - n, "x", 1);
    text_reply want[] = { TEXT_REPLY_VALUE, TEXT_REPLY_END, TEXT_REPLY_NUMBER, TEXT_REPLY_STAT };
    size_t pos = 0;
    for (int i = 0; i < 4; i++) {
        CHECK(text_parse_reply(out + pos, n - pos, &m) == TEXT_OK && m.code == want[i]);
        pos += m.len;
    }
    CHECK_EQ_U64(pos, n);
}

/* ---- the fast path (clean get/storage/meta lines) against the general parser ---- */

/*
 * Parses the first line of s[0..n) with the general parser: a first call
 * that stops before the '\n' leaves resume state, which the fast path never
 * takes. (Lines whose '\n' is the first byte are general anyway.)
 */
static text_status parse_general(const char *s, size_t n, text_request *req)
{
    const char *nl = memchr(s, '\n', n);
    memset(req, 0, sizeof(*req));
    if (nl != NULL && nl > s)
        CHECK(text_parse(s, (size_t)(nl - s), req) == TEXT_EAGAIN);
    return text_parse(s, n, req);
}

/* Every field a caller can see, incl. the lru ones requests_same leaves out. */
static bool requests_same_all(const text_request *a, const text_request *b)
{
    return requests_same(a, b) && a->lru_hot_pct == b->lru_hot_pct &&
           a->lru_warm_pct == b->lru_warm_pct && a->lru_temp_ttl == b->lru_temp_ttl &&
           memcmp(&a->lru_hot_factor, &b->lru_hot_factor, sizeof(double)) == 0 &&
           memcmp(&a->lru_warm_factor, &b->lru_warm_factor, sizeof(double)) == 0;
}

/* The keys text_next_key walks, joined by one space. */
static size_t keys_walked(text_request *req, char *out, size_t cap)
{
    text_str k;
    size_t n = 0;
    text_rewind_keys(req);
    while (text_next_key(req, &k)) {
        if (n + k.len + 1 > cap)
            return (size_t)-1;
        memcpy(out + n, k.ptr, k.len);
        n += k.len;
        out[n++] = ' ';
    }
    CHECK(k.len == 0);
    return n;
}

/* One line: the fast path (a fresh whole parse) must equal the general parser. */
static bool fast_same(const char *s, size_t n)
{
    text_request fast = {0}, slow;
    char *copy = exact_copy(s, n);
    text_status a = text_parse(copy, n, &fast);
    text_status b = parse_general(copy, n, &slow);
    bool ok = a == b && (a == TEXT_EAGAIN || a == TEXT_TOO_LONG || requests_same_all(&fast, &slow));
    char ka[2048], kb[2048];
    if (ok && a == TEXT_OK && fast.nkeys > 0) {
        size_t na = keys_walked(&fast, ka, sizeof(ka)), nb = keys_walked(&slow, kb, sizeof(kb));
        ok = na == nb && memcmp(ka, kb, na == (size_t)-1 ? 0 : na) == 0;
    }
    free(copy);
    if (!ok)
        fprintf(stderr, "fast path differs on '%.*s'\n", (int)n, s);
    return ok;
}

static const char *const fast_lines[] = {
    "get k\r\n", "get k\n", "gets k\r\n", "get a b c\r\n", "gets a b c\n",
    "get " KEY250 "\r\n", "get " KEY251 "\r\n", "get a " KEY251 "\r\n", "get " KEY250 " b\r\n",
    "get a  b\r\n", "get a b \r\n", "get  a\r\n", "get \r\n", "get\r\n", "gets\r\n",
    "get a\tb\r\n", "get\ta\r\n", "get a\rb\r\n", "get a\r\r\n", "get a\x01\r\n",
    "get \x80\xff\x7f\r\n", "gat 0 k\r\n", "gats 1 a b\r\n", "getx k\r\n", "getsx k\r\n",
    "set k 0 0 5\r\n", "set k 0 0 5\n", "set k 0 0 5 noreply\r\n", "set k 0 0 5 noreply\n",
    "set k 0 0 5 foo\r\n", "set k 0 0 5  noreply\r\n", "set k 0 0 5 \r\n", "set k 0 0 5 noreplyx\r\n",
    "set k 0 0 5 noreply \r\n", "set k 0 0 5 noreply x\r\n", "set k 0 0\r\n", "set k 0 0 \r\n",
    "set k 0 0 5\r\r\n", "set k\t0 0 5\r\n", "set k 0\t0 5\r\n", "set k 0 0 5\t\r\n",
    "set " KEY250 " 1 2 3\r\n", "set " KEY251 " 1 2 3\r\n", "set  k 0 0 5\r\n",
    "set k 4294967295 0 1\r\n", "set k 4294967296 0 1\r\n", "set k 18446744073709551615 0 1\r\n",
    "set k 18446744073709551616 0 1\r\n", "set k 999999999999999999 0 1\r\n",
    "set k 1000000000000000000 0 1\r\n", "set k 0 2147483647 1\r\n", "set k 0 2147483648 1\r\n",
    "set k 0 -1 1\r\n", "set k 0 +1 1\r\n", "set k -1 0 1\r\n", "set k 0 0 -1\r\n",
    "set k 0 0 2147483645\r\n", "set k 0 0 2147483646\r\n", "set k 0 0 4294967301\r\n",
    "set k 007 010 00005\r\n", "set k 1x 0 5\r\n", "set k 0 0 5x\r\n", "set k 0 0 0\r\n",
    "set k 0 9223372036854775808 1\r\n", "set k 0 0 999999999999999999\r\n",
    "add k 1 2 3\r\n", "replace k 1 2 3\r\n", "append k 1 2 3\r\n", "prepend k 1 2 3\r\n",
    "cas k 1 2 3 4\r\n", "cas k 1 2 3 4 noreply\r\n", "cas k 1 2 3\r\n", "cas k 1 2 3 noreply\r\n",
    "cas k 1 2 3 18446744073709551615\r\n", "cas k 1 2 3 x\r\n", "adds k 1 2 3\r\n",
    "appendx k 1 2 3\r\n", "sets k 1 2 3\r\n", "mg k v f k\r\n", "mg k\n", "ms k 5 F3 T0\r\n",
    "ms k x\r\n", "ms k\r\n", "ms " KEY251 " 5\r\n", "mg \r\n", "mn \r\n", "mn\r\n", "me k\r\n",
    "ma k\r\n", "md k q\r\n", "mx k\r\n", "mg  k  v \r\n", "mg k\tv\r\n", "mga k\r\n",
    "delete k\r\n", "incr k 5\r\n", "touch k 10\r\n", "version\r\n", "get a\0b\r\n",
};

static void test_fast_path(void)
{
    bool ok = true;
    size_t nlines = sizeof(fast_lines) / sizeof(fast_lines[0]);
    for (size_t i = 0; i < nlines; i++) {
        /* lines with a NUL are listed with it: their length is up to the "\r\n" */
        const char *l = fast_lines[i];
        size_t n = strlen(l);
        if (n < 2 || l[n - 1] != '\n')
            n += 1 + strlen(l + n + 1);
        ok &= fast_same(l, n);
        check_all_splits(l, n);
    }
    CHECK(ok);
    text_request req = {0};
    CHECK(parse_str("get " KEY250 "\r\n", &req) == TEXT_OK && req.nkeys == 1 &&
          req.key.len == 250);
    CHECK(parse_str("get a " KEY251 "\r\n", &req) == TEXT_CLIENT_ERROR);
    CHECK(parse_str("set k 0 0 5 noreply\n", &req) == TEXT_OK && req.noreply &&
          req.nbytes == 5 && req.line_len == 20);
    CHECK(parse_str("set k 4294967297 2147483648 2147483645\r\n", &req) == TEXT_OK &&
          req.flags == 1 && req.exptime == INT32_MIN && req.nbytes == 2147483645);
    CHECK(parse_str("set k 0 0 5 foo\r\n", &req) == TEXT_OK && !req.noreply);
    CHECK(parse_str("cas k 1 2 3 18446744073709551615 noreply\r\n", &req) == TEXT_OK &&
          req.cas == UINT64_MAX && req.noreply);
    CHECK(parse_str("get a\tb c\r\n", &req) == TEXT_OK && req.nkeys == 2 && req.key.len == 3);
}

/* One request reused over every pair of lines: the same as a fresh parse each time. */
static void test_fast_path_reuse(void)
{
    const char *lines[sizeof(fast_lines) / sizeof(fast_lines[0]) + 12] = {
        "incr k 5\r\n", "lru tune 10 20 0.5 1.5\r\n", "slabs reassign 1 2\r\n",
        "debugtime 5\r\n", "shutdown graceful\r\n", "lru_crawler crawl all\r\n",
        "stats detail on\r\n", "lru temp_ttl 7\r\n", "verbosity 1\r\n", "flush_all 10\r\n",
        "gat 10 a b\r\n", "watch fetchers\r\n",
    };
    size_t n = 12;
    for (size_t i = 0; i < sizeof(fast_lines) / sizeof(fast_lines[0]); i++) {
        if (strlen(fast_lines[i]) > 0 && fast_lines[i][strlen(fast_lines[i]) - 1] == '\n')
            lines[n++] = fast_lines[i];
    }
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            text_request reused = {0}, fresh = {0};
            text_parse(lines[i], strlen(lines[i]), &reused);
            text_status a = text_parse(lines[j], strlen(lines[j]), &reused);
            text_status b = text_parse(lines[j], strlen(lines[j]), &fresh);
            bool same = a == b && requests_same_all(&reused, &fresh);
            if (!same)
                fprintf(stderr, "'%s' after '%s' differs\n", lines[j], lines[i]);
            ok &= same;
        }
    }
    CHECK(ok);
}

/* Lines of the hot shapes from random pieces: fast path == general parser. */
static void test_fast_path_random(void)
{
    static const char *const heads[] = { "get ", "gets ", "set ", "add ", "cas ", "replace ",
                                         "append ", "prepend ", "mg ", "ms ", "get", "set " };
    static const char *const toks[] = { "k", "key", "0", "1", "17", "-1", "+2", "noreply",
                                        "4294967296", "2147483645", "2147483646",
                                        "999999999999999999", "1000000000000000000",
                                        "18446744073709551616", KEY250, KEY251, "a\tb", "x\x01",
                                        "\xc3\xa9", "", "007" };
    char buf[1400];
    bool ok = true;
    for (int i = 0; i < 20000; i++) {
        const char *h = heads[rng() % (sizeof(heads) / sizeof(heads[0]))];
        size_t len = strlen(h), words = 1 + (size_t)(rng() % 7);
        memcpy(buf, h, len);
        for (size_t w = 0; w < words; w++) {
            const char *t = toks[rng() % (sizeof(toks) / sizeof(toks[0]))];
            memcpy(buf + len, t, strlen(t));
            len += strlen(t);
            if (w + 1 < words || rng() % 8 == 0)
                buf[len++] = ' ';
            if (rng() % 16 == 0)
                buf[len++] = ' ';
        }
        const char *end = rng() % 4 == 0 ? "\n" : "\r\n";
        memcpy(buf + len, end, strlen(end));
        len += strlen(end);
        ok &= fast_same(buf, len);
    }
    CHECK(ok);
}

/*
 * Storage lines whose numbers have 1..20 digits, each followed by a space,
 * the line end, or a byte just outside '0'..'9' (the eight-at-a-time digit
 * reader's edges), alone in their buffer or followed by another request:
 * fast path == general parser.
 */
static void test_fast_path_numbers(void)
{
    static const char after[] = { ' ', '/', ':', '?', 'p', '\x80', '\xb5', '\xba', '\xf9', '\xfa',
                                  '\xff', '@', '\xc0' };
    static const char *const heads[] = { "set k ", "cas k ", "set abcdefg ", "add k7 " };
    char buf[256];
    bool ok = true;
    for (int i = 0; i < 20000; i++) {
        const char *h = heads[rng() % (sizeof(heads) / sizeof(heads[0]))];
        size_t len = strlen(h), fields = 3 + (h[0] == 'c');
        memcpy(buf, h, len);
        for (size_t f = 0; f < fields; f++) {
            size_t digits = 1 + (size_t)(rng() % 20);
            for (size_t d = 0; d < digits; d++)
                buf[len++] = (char)('0' + (rng() % 4 == 0 ? 9 : rng() % 10));
            if (rng() % 24 == 0)
                buf[len++] = after[rng() % sizeof(after)];
            if (f + 1 < fields)
                buf[len++] = ' ';
        }
        if (rng() % 8 == 0) {
            memcpy(buf + len, " noreply", 8);
            len += 8;
        }
        memcpy(buf + len, "\r\n", 2);
        len += 2;
        if (rng() % 2 == 0) { /* more bytes buffered after the line */
            memcpy(buf + len, "get 12345678\r\n", 14);
            len += 2 + (size_t)(rng() % 13);
        }
        ok &= fast_same(buf, len);
    }
    CHECK(ok);
    text_request req = {0};
    CHECK(parse_str("set k 12345678 87654321 1234567\r\nget x\r\n", &req) == TEXT_OK &&
          req.flags == 12345678 && req.exptime == 87654321 && req.nbytes == 1234567);
    CHECK(parse_str("set k 4294967295 0 99999999 noreply\r\n", &req) == TEXT_OK &&
          req.flags == UINT32_MAX && req.exptime == 0 && req.nbytes == 99999999 &&
          req.noreply);
    CHECK(parse_str("cas k 000000001 1 2 123456789012345678\r\n", &req) == TEXT_OK &&
          req.flags == 1 && req.exptime == 1 && req.nbytes == 2 &&
          req.cas == 123456789012345678ull);
    CHECK(parse_str("cas k 1 2 3 1234567890123456789\r\n", &req) == TEXT_OK &&
          req.cas == 1234567890123456789ull);
    CHECK(parse_str("set k 1 2 3:\r\n", &req) == TEXT_CLIENT_ERROR);
}

/* A get line of ~2 MiB that arrived whole: fast path and general parser agree. */
static void test_fast_path_long_get(void)
{
    size_t cap = TEXT_GET_LINE_MAX + 64, len = 4, nkeys = 0;
    char *buf = malloc(cap);
    memcpy(buf, "get ", 4);
    while (len + 2 + 12 < TEXT_GET_LINE_MAX) {
        len += (size_t)snprintf(buf + len, 16, "k%zu ", nkeys++);
    }
    buf[len - 1] = '\r';
    buf[len++] = '\n';
    text_request fast = {0}, slow;
    CHECK(text_parse(buf, len, &fast) == TEXT_OK);
    CHECK(parse_general(buf, len, &slow) == TEXT_OK);
    CHECK(requests_same_all(&fast, &slow) && fast.nkeys == nkeys);
    size_t walked = 0;
    text_str k;
    while (text_next_key(&fast, &k))
        walked++;
    CHECK_EQ_U64(walked, nkeys);
    free(buf);
}

/* The digit writer behind every composed number, against printf. */
static void test_compose_numbers(void)
{
    char out[64], want[64];
    bool ok = true;
    uint64_t p10 = 1;
    for (int d = 0; d < 20; d++, p10 *= 10) {
        for (int64_t delta = -3; delta <= 3; delta++) {
            uint64_t v = p10 + (uint64_t)delta;
            size_t n = text_compose_number(out, sizeof(out), v);
            int w = snprintf(want, sizeof(want), "%llu\r\n", (unsigned long long)v);
            ok &= n == (size_t)w && memcmp(out, want, n) == 0;
        }
    }
    for (uint64_t v = 0; v < 200000; v++) {
        size_t n = text_compose_number(out, sizeof(out), v);
        int w = snprintf(want, sizeof(want), "%llu\r\n", (unsigned long long)v);
        ok &= n == (size_t)w && memcmp(out, want, n) == 0;
    }
    for (int i = 0; i < 300000; i++) {
        uint64_t r = rng();
        uint64_t v = i % 3 == 0 ? 100000000 - 1 - r % 2000000 : i % 3 == 1 ? r % 100000000 : r;
        size_t n = text_compose_number(out, sizeof(out), v);
        int w = snprintf(want, sizeof(want), "%llu\r\n", (unsigned long long)v);
        ok &= n == (size_t)w && memcmp(out, want, n) == 0;
    }
    CHECK(ok);
    CHECK_COMPOSE(text_compose_number(cbuf, ccap, UINT64_MAX), "18446744073709551615\r\n");
    CHECK_COMPOSE(text_compose_value(cbuf, ccap, key_foo, 16777215, 100, true, 99999999),
                  "VALUE foo 16777215 100 99999999\r\n");
    CHECK_COMPOSE(text_compose_value(cbuf, ccap, (text_str){ KEY250, 250 }, 0, 0, false, 0),
                  "VALUE " KEY250 " 0 0\r\n");
}

int main(void)
{
    test_parse_table();
    test_get_fields();
    test_many_keys();
    test_storage_fields();
    test_other_fields();
    test_nul_bytes();
    test_long_lines();
    test_streams();
    test_garbage();
    test_compose_replies();
    test_compose_requests();
    test_random_round_trips();
    test_reply_parser();
    test_admin_fields();
    test_class_lists();
    test_compose_metadump();
    test_compose_detail_prefix();
    test_admin_round_trips();
    test_fast_path();
    test_fast_path_reuse();
    test_fast_path_random();
    test_fast_path_numbers();
    test_fast_path_long_get();
    test_compose_numbers();
    return check_done("test_text");
}
