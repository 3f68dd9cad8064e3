#include "addr.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

void addr_format_ip(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *ip;

	if (sa->sa_family == AF_INET)
		ip = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		ip = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	else
		ip = NULL;
	if (!ip || !inet_ntop(sa->sa_family, ip, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	addr_format_ip(sa, ip, sizeof(ip));
	if (sa->sa_family == AF_INET)
		snprintf(buf, len, "%s:%u", ip, addr_port(sa));
	else if (sa->sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, addr_port(sa));
	else
		snprintf(buf, len, "?");
}

uint16_t addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

void addr_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

bool addr_is_ip(const char *s)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, s, &a4) == 1 || inet_pton(AF_INET6, s, &a6) == 1;
}

socklen_t addr_make(struct sockaddr_storage *ss, int family, const void *ip, uint16_t port,
		    uint32_t scope_id)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, ip, 4);
		return sizeof(*in);
	}
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, ip, 16);
		in6->sin6_scope_id = scope_id;
		return sizeof(*in6);
	}
	return 0;
}

socklen_t addr_any(struct sockaddr_storage *ss, int family, uint16_t port)
{
	static const uint8_t zero[16];

	/* INADDR_ANY and in6addr_any are all zeroes */
	return addr_make(ss, family, zero, port, 0);
}

socklen_t addr_from_string(struct sockaddr_storage *ss, const char *s, uint16_t port)
{
	uint8_t ip[16];

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, ip) == 1)
		return addr_make(ss, AF_INET, ip, port, 0);
	if (inet_pton(AF_INET6, s, ip) == 1)
		return addr_make(ss, AF_INET6, ip, port, 0);
	return 0;
}

size_t addr_local_endpoints(struct sockaddr_storage *out, size_t cap, uint16_t port)
{
	struct ifaddrs *list;
	size_t n = 0;

	if (getifaddrs(&list) < 0)
		return 0;
	for (struct ifaddrs *i = list; i && n < cap; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;

		if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
			continue;
		if (sa->sa_family == AF_INET)
			addr_make(&out[n], AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
				  port, 0);
		else
			addr_make(&out[n], AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
				  port, 0);
		n++;
	}
	freeifaddrs(list);
	return n;
}
