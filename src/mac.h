/* MAC addresses: parsing, formatting, classification. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define MAC_LEN 6
/* "xx:xx:xx:xx:xx:xx" plus NUL */
#define MAC_STRLEN 18

/** Parse "xx:xx:xx:xx:xx:xx" (hex, either case, also '-' separators). 0 or -EINVAL. */
int mac_parse(const char *s, uint8_t mac[MAC_LEN]);
/** Format as lowercase "xx:xx:xx:xx:xx:xx" into buf (MAC_STRLEN bytes); returns buf. */
char *mac_format(const uint8_t mac[MAC_LEN], char buf[MAC_STRLEN]);

static inline bool mac_is_group(const uint8_t mac[MAC_LEN])
{
	return mac[0] & 1;
}

static inline bool mac_is_zero(const uint8_t mac[MAC_LEN])
{
	static const uint8_t zero[MAC_LEN];
	return memcmp(mac, zero, MAC_LEN) == 0;
}

/** A MAC that can name a node: unicast and not all-zero. */
static inline bool mac_is_node(const uint8_t mac[MAC_LEN])
{
	return !mac_is_group(mac) && !mac_is_zero(mac);
}

static inline bool mac_eq(const uint8_t a[MAC_LEN], const uint8_t b[MAC_LEN])
{
	return memcmp(a, b, MAC_LEN) == 0;
}
