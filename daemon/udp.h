/*
 * daemon/udp.h -- the UDP transport (-U).
 *
 * Every worker polls every shared UDP socket with its own conn; whichever
 * worker's recvfrom wins a datagram answers it, so a datagram is handled by
 * exactly one thread. Each datagram starts with memcached's 8-byte frame
 * header (all fields big-endian):
 *
 *   0      2        4                 6          8
 *   +------+--------+-----------------+----------+---------------------
 *   | id   | seq no | total datagrams | reserved | request text ...
 *   +------+--------+-----------------+----------+---------------------
 *
 * A request must fit in one datagram (seq 0, total 1; others are dropped).
 * All of its commands run; the replies are split into datagrams of at most
 * UDP_DATAGRAM_MAX bytes (header included) carrying the request's id,
 * sequence numbers 0..n-1 and the total n. UDP is lossy by nature: a reply
 * that cannot be sent at once is dropped.
 */
#ifndef CASHEW_DAEMON_UDP_H
#define CASHEW_DAEMON_UDP_H

#include "daemon/conn.h"

struct worker;

#define UDP_HEADER_SIZE 8
#define UDP_DATAGRAM_MAX 1400

/*
 * Creates worker w's conn for the shared UDP socket fd and starts polling
 * it on w's event base. Worker thread only. NULL on failure (then the
 * worker simply does not serve that socket). Free it with conn_destroy.
 */
conn *udp_conn_create(struct worker *w, int fd);

#endif
