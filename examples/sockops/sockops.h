/* sockops.h — one TCP connection reaching ESTABLISHED in the cgroup. */
#ifndef SOCKOPS_H
#define SOCKOPS_H

struct conn_event {
	unsigned int op;	  /* 4: active (connect), 5: passive (accept) */
	unsigned int family;	  /* AF_INET 2, AF_INET6 10 */
	unsigned int local_ip4;	  /* network byte order */
	unsigned int remote_ip4;  /* network byte order */
	unsigned int local_port;  /* host byte order */
	unsigned int remote_port; /* host byte order */
};

#endif
