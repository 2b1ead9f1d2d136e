/* SPDX-License-Identifier: MIT */
/*
 * Intrusive circular doubly linked lists: a struct list_node inside each
 * object, a struct list_node as the head. O(1) insertion and removal.
 */
#ifndef KERNEL_LIST_H
#define KERNEL_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_node {
	struct list_node *next, *prev;
};

#define LIST_INIT(name)	{ &(name), &(name) }
#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#define list_entry(p, type, member) container_of(p, type, member)
#define list_first(head, type, member) list_entry((head)->next, type, member)

static inline void list_init(struct list_node *h)
{
	h->next = h->prev = h;
}

static inline bool list_empty(const struct list_node *h)
{
	return h->next == h;
}

/* Is @n on some list? (Nodes are list_init()ed when off every list.) */
static inline bool list_linked(const struct list_node *n)
{
	return n->next != n && n->next != NULL;
}

static inline void list_insert_between(struct list_node *n, struct list_node *prev,
				       struct list_node *next)
{
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
}

static inline void list_add_head(struct list_node *h, struct list_node *n)
{
	list_insert_between(n, h, h->next);
}

static inline void list_add_tail(struct list_node *h, struct list_node *n)
{
	list_insert_between(n, h->prev, h);
}

/* Unlinks @n and leaves it pointing at itself (so list_linked() is false). */
static inline void list_del(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

#define list_for_each(pos, head) \
	for (struct list_node *pos = (head)->next; pos != (head); pos = pos->next)
/* Safe against removal of the current node. */
#define list_for_each_safe(pos, head) \
	for (struct list_node *pos = (head)->next, *pos##_next = pos->next; pos != (head); \
	     pos = pos##_next, pos##_next = pos->next)

#endif
