/*
 * tests/test_text_admin.c -- the parser of the runtime crawler controls:
 * lru_crawler enable|disable|sleep|tocrawl, and their fixed replies
 * (acceptance rules checked against memcached 1.6.18).
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

int main(void)
{
    test_enable_disable();
    test_sleep();
    test_tocrawl();
    test_admin_replies();
    return check_done("test_text_admin");
}
