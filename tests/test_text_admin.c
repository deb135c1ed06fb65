/*
 * tests/test_text_admin.c -- the parser of the runtime admin commands:
 * lru_crawler enable|disable|sleep|tocrawl|mgdump, lru tune|mode|temp_ttl,
 * cache_memlimit, the stats cachedump arguments, their fixed replies and
 * line composers (acceptance rules checked against memcached 1.6.18).
 */
#include <stdlib.h>
#include <string.h>

#include "proto/text.h"
#include "tests/check.h"

/* Parses line from a heap copy of exactly its length (asan sees overreads). */
static text_status parse(const char *line, text_request *req)
{
    size_t n = strlen(line);
    char *copy = malloc(n);
    if (copy == NULL)
        exit(1);
    memcpy(copy, line, n);
    memset(req, 0, sizeof(*req));
    text_status st = text_parse(copy, n, req);
    CHECK_EQ_U64(req->line_len, n);
    free(copy);
    return st;
}

static void test_enable_disable(void)
{
    text_request req;
    CHECK(parse("lru_crawler enable\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_LRU_CRAWLER_ENABLE);
    CHECK(parse("lru_crawler disable\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_LRU_CRAWLER_DISABLE);
    CHECK(parse("lru_crawler  enable  \r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_LRU_CRAWLER_ENABLE);
    CHECK(parse("lru_crawler enable x\r\n", &req) == TEXT_ERROR);
    CHECK(req.reply == TEXT_REPLY_ERROR);
    CHECK(parse("lru_crawler disable noreply\r\n", &req) == TEXT_ERROR);
    CHECK(parse("lru_crawler Enable\r\n", &req) == TEXT_ERROR);
    CHECK(parse("lru_crawler bogus\r\n", &req) == TEXT_ERROR);
    CHECK(parse("lru_crawler\r\n", &req) == TEXT_ERROR);
    CHECK(strcmp(text_cmd_name(TEXT_CMD_LRU_CRAWLER_ENABLE), "lru_crawler enable") == 0);
    CHECK(strcmp(text_cmd_name(TEXT_CMD_LRU_CRAWLER_DISABLE), "lru_crawler disable") == 0);
}

static void test_sleep(void)
{
    text_request req;
    CHECK(parse("lru_crawler sleep 100\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_LRU_CRAWLER_SLEEP && req.has_value);
    CHECK_EQ_U64(req.value, 100);
    CHECK(text_crawler_sleep_check(&req) == TEXT_ADMIN_REPLY_NONE);
    CHECK(parse("lru_crawler sleep 1000000\r\n", &req) == TEXT_OK);
    CHECK(text_crawler_sleep_check(&req) == TEXT_ADMIN_REPLY_NONE);
    CHECK(parse("lru_crawler sleep 1000001\r\n", &req) == TEXT_OK);
    CHECK(text_crawler_sleep_check(&req) == TEXT_ADMIN_REPLY_CE_CRAWLER_SLEEP);
    CHECK(parse("lru_crawler sleep 18446744073709551615\r\n", &req) == TEXT_OK);
    CHECK(text_crawler_sleep_check(&req) == TEXT_ADMIN_REPLY_CE_CRAWLER_SLEEP);
    CHECK(parse("lru_crawler sleep 0\r\n", &req) == TEXT_OK);
    CHECK_EQ_U64(req.value, 0);
    CHECK(parse("lru_crawler sleep abc\r\n", &req) == TEXT_CLIENT_ERROR);
    CHECK(req.reply == TEXT_REPLY_CE_BAD_FORMAT);
    CHECK(parse("lru_crawler sleep -1\r\n", &req) == TEXT_CLIENT_ERROR);
    CHECK(req.reply == TEXT_REPLY_CE_BAD_FORMAT);
    CHECK(parse("lru_crawler sleep 1e3\r\n", &req) == TEXT_CLIENT_ERROR);
    CHECK(parse("lru_crawler sleep\r\n", &req) == TEXT_ERROR);
    CHECK(parse("lru_crawler sleep 5 6\r\n", &req) == TEXT_ERROR);
    CHECK(req.reply == TEXT_REPLY_ERROR);
    /* the sleep check only concerns sleep requests */
    CHECK(parse("lru_crawler tocrawl 2000000\r\n", &req) == TEXT_OK);
    CHECK(text_crawler_sleep_check(&req) == TEXT_ADMIN_REPLY_NONE);
}

static void test_tocrawl(void)
{
    text_request req;
    CHECK(parse("lru_crawler tocrawl 5\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_LRU_CRAWLER_TOCRAWL);
    CHECK_EQ_U64(req.value, 5);
    CHECK(parse("lru_crawler tocrawl 4294967297\r\n", &req) == TEXT_OK);
    CHECK_EQ_U64(req.value, 1); /* low 32 bits, as memcached */
    CHECK(parse("lru_crawler tocrawl 18446744073709551615\r\n", &req) == TEXT_OK);
    CHECK_EQ_U64(req.value, 4294967295u);
    CHECK(parse("lru_crawler tocrawl 99999999999999999999\r\n", &req) == TEXT_CLIENT_ERROR);
    CHECK(req.reply == TEXT_REPLY_CE_BAD_FORMAT);
    CHECK(parse("lru_crawler tocrawl -1\r\n", &req) == TEXT_CLIENT_ERROR);
    CHECK(parse("lru_crawler tocrawl\r\n", &req) == TEXT_ERROR);
    CHECK(strcmp(text_cmd_name(TEXT_CMD_LRU_CRAWLER_TOCRAWL), "lru_crawler tocrawl") == 0);
}

static void test_admin_replies(void)
{
    CHECK(strcmp(text_admin_reply_str(TEXT_ADMIN_REPLY_CRAWLER_START_FAILED),
                 "ERROR failed to start lru crawler thread\r\n") == 0);
    CHECK(strcmp(text_admin_reply_str(TEXT_ADMIN_REPLY_CE_CRAWLER_SLEEP),
                 "CLIENT_ERROR sleep must be one second or less\r\n") == 0);
    for (int r = 0; r < TEXT_ADMIN_REPLY__COUNT; r++)
        CHECK_EQ_U64(text_admin_reply_len((text_admin_reply)r),
                     strlen(text_admin_reply_str((text_admin_reply)r)));
    CHECK(strcmp(text_admin_reply_str(TEXT_ADMIN_REPLY__COUNT), "") == 0);
    CHECK_EQ_U64(text_admin_reply_len((text_admin_reply)-1), 0);
}

/*
 * Like parse, but first feeds every prefix of the line (split at every
 * byte): each must ask for more, and the whole line must give the same
 * result as a fresh parse.
 */
static text_status parse_split(const char *line, text_request *req)
{
    size_t n = strlen(line);
    char *copy = malloc(n);
    if (copy == NULL)
        exit(1);
    memcpy(copy, line, n);
    memset(req, 0, sizeof(*req));
    for (size_t i = 0; i < n; i++) {
        if (text_parse(copy, i, req) != TEXT_EAGAIN)
            CHECK(!"a prefix did not ask for more");
    }
    text_status st = text_parse(copy, n, req);
    free(copy);
    text_request fresh;
    CHECK(parse(line, &fresh) == st);
    CHECK(fresh.cmd == req->cmd && fresh.noreply == req->noreply);
    return st;
}

static void test_lru_tune(void)
{
    text_request req;
    CHECK(parse_split("lru tune 10 25 0.1 2.0\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_LRU_TUNE && !req.noreply);
    CHECK_EQ_U64(req.lru_hot_pct, 10);
    CHECK_EQ_U64(req.lru_warm_pct, 25);
    CHECK(req.lru_hot_factor == 0.1 && req.lru_warm_factor == 2.0);
    CHECK(text_lru_tune_check(&req) == TEXT_ADMIN_REPLY_NONE);
    CHECK(strcmp(text_cmd_name(TEXT_CMD_LRU_TUNE), "lru tune") == 0);
    /* extra arguments are ignored; a last "noreply" silences the reply */
    CHECK(parse("lru tune 10 25 0.1 2.0 5\r\n", &req) == TEXT_OK && !req.noreply);
    CHECK(parse_split("lru tune 10 25 0.1 2.0 noreply\r\n", &req) == TEXT_OK && req.noreply);
    /* memcached's numbers: 32-bit pcts, strtod factors */
    CHECK(parse("lru tune 4294967306 +25 .5 0x10\r\n", &req) == TEXT_OK);
    CHECK_EQ_U64(req.lru_hot_pct, 10);
    CHECK_EQ_U64(req.lru_warm_pct, 25);
    CHECK(req.lru_hot_factor == 0.5 && req.lru_warm_factor == 16.0);
    CHECK(parse("lru tune 10 25 nan inf\r\n", &req) == TEXT_OK);
    CHECK(text_lru_tune_check(&req) == TEXT_ADMIN_REPLY_NONE); /* NaN is not <= 0 */
    CHECK(parse("lru tune 10 25 5. 1e300\r\n", &req) == TEXT_OK);
    /* bad numbers: ERROR, noreply still honoured */
    CHECK(parse("lru tune -1 25 0.1 2.0\r\n", &req) == TEXT_ERROR);
    CHECK(req.reply == TEXT_REPLY_ERROR && req.cmd == TEXT_CMD_NONE);
    CHECK(parse("lru tune x 25 0.1 2.0\r\n", &req) == TEXT_ERROR);
    CHECK(parse("lru tune 10 25 x 2.0\r\n", &req) == TEXT_ERROR);
    CHECK(parse("lru tune 10 25 0.1 2.0garbage\r\n", &req) == TEXT_ERROR);
    CHECK(parse("lru tune 10 25 0.1 1e400\r\n", &req) == TEXT_ERROR);
    CHECK(parse("lru tune 1 2 3 noreply\r\n", &req) == TEXT_ERROR && req.noreply);
    CHECK(text_reply_suppressed(&req));
    /* too few arguments */
    CHECK(parse("lru tune 10 25 0.1\r\n", &req) == TEXT_ERROR && !req.noreply);
    CHECK(parse("lru tune\r\n", &req) == TEXT_ERROR);
    CHECK(parse("lru\r\n", &req) == TEXT_ERROR && !req.noreply);
    CHECK(parse("lru noreply\r\n", &req) == TEXT_ERROR && req.noreply);
    CHECK(parse("lru foo 1\r\n", &req) == TEXT_ERROR);
    CHECK(parse("lru_tune 1 2 3 4\r\n", &req) == TEXT_ERROR);
    /* the range checks, in memcached's order */
    CHECK(parse("lru tune 50 50 1 1\r\n", &req) == TEXT_OK);
    CHECK(text_lru_tune_check(&req) == TEXT_ADMIN_REPLY_LRU_PCTS);
    CHECK(parse("lru tune 80 1 1 1\r\n", &req) == TEXT_OK);
    CHECK(text_lru_tune_check(&req) == TEXT_ADMIN_REPLY_LRU_PCTS);
    CHECK(parse("lru tune 80 0 1 1\r\n", &req) == TEXT_OK);
    CHECK(text_lru_tune_check(&req) == TEXT_ADMIN_REPLY_NONE);
    CHECK(parse("lru tune 0 0 0 0\r\n", &req) == TEXT_OK);
    CHECK(text_lru_tune_check(&req) == TEXT_ADMIN_REPLY_LRU_FACTORS);
    CHECK(parse("lru tune 90 0 0 0\r\n", &req) == TEXT_OK);
    CHECK(text_lru_tune_check(&req) == TEXT_ADMIN_REPLY_LRU_PCTS);
    CHECK(parse("lru tune 10 25 -0 2\r\n", &req) == TEXT_OK);
    CHECK(text_lru_tune_check(&req) == TEXT_ADMIN_REPLY_LRU_FACTORS);
    CHECK(parse("lru tune 10 25 0.1 -2.0\r\n", &req) == TEXT_OK);
    CHECK(text_lru_tune_check(&req) == TEXT_ADMIN_REPLY_LRU_FACTORS);
    /* the 32-bit sum wraps, as memcached's */
    CHECK(parse("lru tune 4294967295 81 1 1\r\n", &req) == TEXT_OK);
    CHECK(text_lru_tune_check(&req) == TEXT_ADMIN_REPLY_NONE);
}

static void test_lru_mode_temp_ttl(void)
{
    text_request req;
    CHECK(parse_split("lru mode flat\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_LRU_MODE && req.has_value);
    CHECK_EQ_U64(req.value, 0);
    CHECK(parse("lru  mode segmented extra\r\n", &req) == TEXT_OK);
    CHECK_EQ_U64(req.value, 1);
    CHECK(parse("lru mode flat noreply\r\n", &req) == TEXT_OK && req.noreply);
    CHECK(parse("lru mode foo\r\n", &req) == TEXT_ERROR && !req.noreply);
    CHECK(parse("lru mode Flat\r\n", &req) == TEXT_ERROR);
    CHECK(parse("lru mode foo noreply\r\n", &req) == TEXT_ERROR && req.noreply);
    CHECK(parse("lru mode\r\n", &req) == TEXT_ERROR && !req.noreply);
    CHECK(strcmp(text_cmd_name(TEXT_CMD_LRU_MODE), "lru mode") == 0);

    CHECK(parse_split("lru temp_ttl 100\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_LRU_TEMP_TTL && req.lru_temp_ttl == 100);
    CHECK(parse("lru temp_ttl -1\r\n", &req) == TEXT_OK && req.lru_temp_ttl == -1);
    CHECK(parse("lru temp_ttl 4294967296\r\n", &req) == TEXT_OK && req.lru_temp_ttl == 0);
    CHECK(parse("lru temp_ttl 2147483648\r\n", &req) == TEXT_OK);
    CHECK(req.lru_temp_ttl == INT32_MIN);
    CHECK(parse("lru temp_ttl 5 noreply\r\n", &req) == TEXT_OK && req.noreply);
    CHECK(parse("lru temp_ttl x\r\n", &req) == TEXT_ERROR);
    CHECK(parse("lru temp_ttl 99999999999999999999\r\n", &req) == TEXT_ERROR);
    CHECK(parse("lru temp_ttl\r\n", &req) == TEXT_ERROR);
    CHECK(strcmp(text_cmd_name(TEXT_CMD_LRU_TEMP_TTL), "lru temp_ttl") == 0);
}

static void test_memlimit(void)
{
    text_request req;
    CHECK(parse_split("cache_memlimit 32\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_CACHE_MEMLIMIT && !req.noreply);
    CHECK_EQ_U64(req.value, 32);
    CHECK(text_memlimit_check(&req) == TEXT_ADMIN_REPLY_NONE);
    CHECK(strcmp(text_cmd_name(TEXT_CMD_CACHE_MEMLIMIT), "cache_memlimit") == 0);
    CHECK(parse("cache_memlimit 100 noreply\r\n", &req) == TEXT_OK && req.noreply);
    CHECK(parse("cache_memlimit 100 extra\r\n", &req) == TEXT_OK && !req.noreply);
    CHECK(parse("cache_memlimit 7\r\n", &req) == TEXT_OK);
    CHECK(text_memlimit_check(&req) == TEXT_ADMIN_REPLY_MEMLIMIT_TOO_SMALL);
    CHECK(parse("cache_memlimit 8\r\n", &req) == TEXT_OK);
    CHECK(text_memlimit_check(&req) == TEXT_ADMIN_REPLY_NONE);
    CHECK(parse("cache_memlimit 1000000000\r\n", &req) == TEXT_OK);
    CHECK(text_memlimit_check(&req) == TEXT_ADMIN_REPLY_NONE);
    CHECK(parse("cache_memlimit 1000000001\r\n", &req) == TEXT_OK);
    CHECK(text_memlimit_check(&req) == TEXT_ADMIN_REPLY_MEMLIMIT_UNITS);
    CHECK(parse("cache_memlimit 4294967296\r\n", &req) == TEXT_OK); /* 32 bits: 0 */
    CHECK(text_memlimit_check(&req) == TEXT_ADMIN_REPLY_MEMLIMIT_TOO_SMALL);
    CHECK(parse("cache_memlimit 4294967304\r\n", &req) == TEXT_OK);
    CHECK_EQ_U64(req.value, 8);
    CHECK(parse("cache_memlimit x\r\n", &req) == TEXT_ERROR && !req.noreply);
    CHECK(parse("cache_memlimit -1\r\n", &req) == TEXT_ERROR);
    CHECK(parse("cache_memlimit x noreply\r\n", &req) == TEXT_ERROR && req.noreply);
    CHECK(parse("cache_memlimit\r\n", &req) == TEXT_ERROR);
    CHECK(parse("cache_memlimit 1 2 3\r\n", &req) == TEXT_ERROR && !req.noreply);
    CHECK(parse("cache_memlimits 8\r\n", &req) == TEXT_ERROR);
    /* the neighbours in the dispatch table still parse */
    CHECK(parse("cas k 0 0 1 5\r\n", &req) == TEXT_OK && req.cmd == TEXT_CMD_CAS);
    CHECK(parse("lru_crawler enable\r\n", &req) == TEXT_OK);
}

/* Parses line kept in the caller's buf (views in req stay valid). */
static text_status parse_kept(char *buf, size_t cap, const char *line, text_request *req)
{
    size_t n = strlen(line);
    if (n > cap)
        exit(1);
    memcpy(buf, line, n);
    memset(req, 0, sizeof(*req));
    return text_parse(buf, n, req);
}

static void test_mgdump(void)
{
    text_request req;
    char line[64];
    CHECK(parse_split("lru_crawler mgdump all\r\n", &req) == TEXT_OK);
    CHECK(req.cmd == TEXT_CMD_LRU_CRAWLER_MGDUMP && req.all_classes);
    CHECK(parse_kept(line, sizeof line, "lru_crawler mgdump hash\r\n", &req) == TEXT_OK);
    CHECK(req.all_classes && text_class_list_check(&req) == TEXT_REPLY_NONE);
    CHECK(parse_kept(line, sizeof line, "lru_crawler mgdump 1,2\r\n", &req) == TEXT_OK);
    CHECK(!req.all_classes && text_class_list_check(&req) == TEXT_REPLY_NONE);
    CHECK(parse_kept(line, sizeof line, "lru_crawler mgdump 64\r\n", &req) == TEXT_OK);
    CHECK(text_class_list_check(&req) == TEXT_REPLY_CRAWLER_BADCLASS);
    CHECK(parse_kept(line, sizeof line, "lru_crawler mgdump ,\r\n", &req) == TEXT_OK);
    CHECK(text_class_list_check(&req) == TEXT_REPLY_CRAWLER_NOTSTARTED);
    CHECK(parse("lru_crawler mgdump\r\n", &req) == TEXT_ERROR);
    CHECK(parse("lru_crawler mgdump all x\r\n", &req) == TEXT_ERROR);
    CHECK(strcmp(text_cmd_name(TEXT_CMD_LRU_CRAWLER_MGDUMP), "lru_crawler mgdump") == 0);
    char buf[TEXT_MGDUMP_LINE_MAX];
    text_str key = { "foo", 3 };
    size_t n = text_compose_mgdump_item(buf, sizeof buf, key, false);
    CHECK(n == 8 && memcmp(buf, "mg foo\r\n", 8) == 0);
    n = text_compose_mgdump_item(buf, sizeof buf, key, true);
    CHECK(n == 11 && memcmp(buf, "mg Zm9v b\r\n", 11) == 0);
    CHECK(text_compose_mgdump_item(buf, 7, key, false) == 0);
    CHECK(text_compose_mgdump_item(buf, 10, key, true) == 0);
    char big[TEXT_KEY_MAX];
    memset(big, 0xff, sizeof big);
    text_str bigkey = { big, sizeof big };
    CHECK(text_compose_mgdump_item(buf, sizeof buf, bigkey, true) == TEXT_MGDUMP_LINE_MAX);
}

static void test_cachedump(void)
{
    uint32_t id = 99, limit = 99;
    text_str args = { "1 0", 3 };
    CHECK(text_cachedump_args(args, &id, &limit) == TEXT_REPLY_NONE);
    CHECK(id == 1 && limit == 0);
    text_str extra = { " 2  5 more", 10 };
    CHECK(text_cachedump_args(extra, &id, &limit) == TEXT_REPLY_NONE);
    CHECK(id == 2 && limit == 5);
    text_str wrap = { "4294967297 4294967297", 21 };
    CHECK(text_cachedump_args(wrap, &id, &limit) == TEXT_REPLY_NONE);
    CHECK(id == 1 && limit == 1);
    text_str one = { "1", 1 }, none = { "", 0 };
    CHECK(text_cachedump_args(one, &id, &limit) == TEXT_REPLY_CE_BAD_COMMAND_LINE);
    CHECK(text_cachedump_args(none, &id, &limit) == TEXT_REPLY_CE_BAD_COMMAND_LINE);
    text_str bad1 = { "x 0", 3 }, bad2 = { "1 -1", 4 }, bad3 = { "-1 0", 4 };
    CHECK(text_cachedump_args(bad1, &id, &limit) == TEXT_REPLY_CE_BAD_FORMAT);
    CHECK(text_cachedump_args(bad2, &id, &limit) == TEXT_REPLY_CE_BAD_FORMAT);
    CHECK(text_cachedump_args(bad3, &id, &limit) == TEXT_REPLY_CE_BAD_FORMAT);
    char buf[TEXT_CACHEDUMP_LINE_MAX];
    text_str key = { "abc", 3 };
    size_t n = text_compose_cachedump_item(buf, sizeof buf, key, 5, 1795262299);
    const char *want = "ITEM abc [5 b; 1795262299 s]\r\n";
    CHECK(n == strlen(want) && memcmp(buf, want, n) == 0);
    n = text_compose_cachedump_item(buf, sizeof buf, key, 0, 0);
    want = "ITEM abc [0 b; 0 s]\r\n";
    CHECK(n == strlen(want) && memcmp(buf, want, n) == 0);
    text_str nul = { "ab\0cd", 5 };
    n = text_compose_cachedump_item(buf, sizeof buf, nul, 1, 0);
    want = "ITEM ab [1 b; 0 s]\r\n";
    CHECK(n == strlen(want) && memcmp(buf, want, n) == 0);
    CHECK(text_compose_cachedump_item(buf, 10, key, 5, 0) == 0);
    char big[TEXT_KEY_MAX];
    memset(big, 'k', sizeof big);
    text_str bigkey = { big, sizeof big };
    CHECK(text_compose_cachedump_item(buf, sizeof buf, bigkey, 1048576, INT64_MAX) > 0);
}

static void test_new_replies(void)
{
    static const struct { text_admin_reply r; const char *text; } want[] = {
        { TEXT_ADMIN_REPLY_LRU_PCTS, "ERROR hot and warm pcts must not exceed 80\r\n" },
        { TEXT_ADMIN_REPLY_LRU_FACTORS, "ERROR hot/warm age factors must be greater than 0\r\n" },
        { TEXT_ADMIN_REPLY_MEMLIMIT_TOO_SMALL,
          "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n" },
        { TEXT_ADMIN_REPLY_MEMLIMIT_UNITS,
          "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n" },
        { TEXT_ADMIN_REPLY_MEMLIMIT_FAILED,
          "MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust\r\n" },
        { TEXT_ADMIN_REPLY_CE_CACHEDUMP_DISABLED, "CLIENT_ERROR stats cachedump not allowed\r\n" },
        { TEXT_ADMIN_REPLY_CE_ILLEGAL_SLAB_ID, "CLIENT_ERROR Illegal slab id\r\n" },
        { TEXT_ADMIN_REPLY_METADUMP_DISABLED, "ERROR metadump not allowed\r\n" },
        { TEXT_ADMIN_REPLY_MGDUMP_DISABLED, "ERROR mgdump not allowed\r\n" },
        { TEXT_ADMIN_REPLY_EN, "EN\r\n" },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK(strcmp(text_admin_reply_str(want[i].r), want[i].text) == 0);
    /* the checks leave other commands alone */
    text_request req;
    CHECK(parse("lru mode flat\r\n", &req) == TEXT_OK);
    CHECK(text_lru_tune_check(&req) == TEXT_ADMIN_REPLY_NONE);
    CHECK(text_memlimit_check(&req) == TEXT_ADMIN_REPLY_NONE);
}

int main(void)
{
    test_enable_disable();
    test_sleep();
    test_tocrawl();
    test_admin_replies();
    test_lru_tune();
    test_lru_mode_temp_ttl();
    test_memlimit();
    test_mgdump();
    test_cachedump();
    test_new_replies();
    return check_done("test_text_admin");
}
