/* tcpconnlat.h — one IPv4 TCP connect() and how long the handshake took. */
#ifndef TCPCONNLAT_H
#define TCPCONNLAT_H

#define TASK_COMM_LEN 16

struct event {
	unsigned long long delta_us;
	unsigned long long ts_us;
	unsigned int saddr_v4; /* network byte order */
	unsigned int daddr_v4; /* network byte order */
	int tgid;
	unsigned short lport; /* host byte order */
	unsigned short dport; /* network byte order */
	char comm[TASK_COMM_LEN];
};

#endif
