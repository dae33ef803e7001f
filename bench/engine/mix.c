/* bench/engine/mix.c — a CoreMark-class mix written for this project: a
 * linked list (insert, find, reverse, merge-sort by key), a small integer
 * matrix multiply with accumulate, a text-scanning state machine and a
 * bitwise CRC-16 over every intermediate result. Self-check: the list is
 * ordered after sorting and the state machine counts every token. */
#include <string.h>
#include "kern.h"

/* ---- CRC-16 (polynomial 0x1021, bit by bit) ------------------------ */
static uint16_t crc16(uint16_t crc, uint32_t v, int bytes)
{
	for (int b = 0; b < bytes; b++) {
		crc ^= (uint16_t)((v >> (8 * b)) & 0xff) << 8;
		for (int k = 0; k < 8; k++)
			crc = crc & 0x8000 ? (uint16_t)(crc << 1) ^ 0x1021
					   : (uint16_t)(crc << 1);
	}
	return crc;
}

/* ---- linked list ---------------------------------------------------- */
struct node {
	struct node *next;
	int32_t key;
	int32_t val;
};

#define NODES 256
static struct node pool[NODES];

static struct node *list_build(uint64_t *seed)
{
	struct node *head = NULL;

	for (int i = 0; i < NODES; i++) {
		pool[i].key = (int32_t)(kern_rand(seed) & 0xffff);
		pool[i].val = i;
		pool[i].next = head;
		head = &pool[i];
	}
	return head;
}

static struct node *list_reverse(struct node *h)
{
	struct node *r = NULL;

	while (h) {
		struct node *n = h->next;

		h->next = r;
		r = h;
		h = n;
	}
	return r;
}

static struct node *list_find(struct node *h, int32_t key)
{
	while (h && h->key != key)
		h = h->next;
	return h;
}

static struct node *list_merge(struct node *a, struct node *b)
{
	struct node head, *t = &head;

	while (a && b) {
		if (b->key < a->key) {
			t->next = b;
			b = b->next;
		} else {
			t->next = a;
			a = a->next;
		}
		t = t->next;
	}
	t->next = a ? a : b;
	return head.next;
}

static struct node *list_sort(struct node *h)
{
	struct node *slow = h, *fast, *second;

	if (!h || !h->next)
		return h;
	fast = h->next;
	while (fast && fast->next) {
		slow = slow->next;
		fast = fast->next->next;
	}
	second = slow->next;
	slow->next = NULL;
	return list_merge(list_sort(h), list_sort(second));
}

static uint16_t list_work(uint64_t *seed, uint16_t crc, int *ok)
{
	struct node *h = list_build(seed);

	for (int i = 0; i < 64; i++) {
		struct node *n = list_find(h, pool[(i * 37) % NODES].key);

		crc = crc16(crc, n ? (uint32_t)n->val : 0xffff, 2);
	}
	h = list_sort(list_reverse(h));
	for (struct node *n = h; n && n->next; n = n->next)
		*ok &= n->key <= n->next->key;
	for (struct node *n = h; n; n = n->next)
		crc = crc16(crc, (uint32_t)n->val, 1);
	return crc;
}

/* ---- matrix --------------------------------------------------------- */
#define MN 24
static int32_t ma[MN][MN], mb[MN][MN], mc[MN][MN];

static uint16_t matrix_work(uint64_t *seed, uint16_t crc)
{
	for (int i = 0; i < MN; i++)
		for (int j = 0; j < MN; j++) {
			ma[i][j] = (int32_t)(kern_rand(seed) & 0xff) - 128;
			mb[i][j] = (int32_t)(kern_rand(seed) & 0xff) - 128;
		}
	for (int i = 0; i < MN; i++)
		for (int j = 0; j < MN; j++) {
			int32_t s = 0;

			for (int k = 0; k < MN; k++)
				s += ma[i][k] * mb[k][j];
			mc[i][j] = s;
		}
	for (int i = 0; i < MN; i++) {
		int32_t rowmax = mc[i][0];

		for (int j = 1; j < MN; j++)
			rowmax = mc[i][j] > rowmax ? mc[i][j] : rowmax;
		crc = crc16(crc, (uint32_t)rowmax, 4);
	}
	return crc;
}

/* ---- state machine: classify tokens of a generated text ------------- */
enum st { S_START, S_INT, S_FRAC, S_EXP, S_EXPSIGN, S_WORD, S_BAD, S_N };

static enum st next_state(enum st s, char c)
{
	int digit = c >= '0' && c <= '9', alpha = c >= 'a' && c <= 'z';

	switch (s) {
	case S_START:
		return digit ? S_INT : alpha ? S_WORD : S_BAD;
	case S_INT:
		return digit	  ? S_INT
		       : c == '.' ? S_FRAC
		       : c == 'e' ? S_EXP
				  : S_BAD;
	case S_FRAC:
		return digit ? S_FRAC : c == 'e' ? S_EXP : S_BAD;
	case S_EXP:
		return digit || c == '-' ? S_EXPSIGN : S_BAD;
	case S_EXPSIGN:
		return digit ? S_EXPSIGN : S_BAD;
	case S_WORD:
		return alpha || digit ? S_WORD : S_BAD;
	default:
		return S_BAD;
	}
}

static uint16_t state_work(uint64_t *seed, uint16_t crc, int *ok)
{
	static const char alphabet[] = "0123456789.e-abcxyz";
	char text[512];
	uint32_t counts[S_N] = {0}, tokens = 0, ends = 0;
	enum st s = S_START;

	for (size_t i = 0; i < sizeof(text); i++) {
		uint64_t r = kern_rand(seed);

		text[i] = r % 7 == 0 ? ' ' : alphabet[(r >> 8) % 19];
	}
	for (size_t i = 0; i < sizeof(text); i++) {
		if (text[i] == ' ') {
			counts[s]++;
			tokens += s != S_START;
			s = S_START;
			continue;
		}
		s = next_state(s, text[i]);
	}
	counts[s]++;
	tokens += s != S_START;
	for (int i = 1; i < S_N; i++) {
		ends += counts[i];
		crc = crc16(crc, counts[i], 2);
	}
	*ok &= ends == tokens;
	return crc;
}

int main(int argc, char **argv)
{
	int iters = (int)(3000 * kern_scale(argc, argv)) + 2;
	uint64_t seed = 0x9e3779b97f4a7c15ull, t0 = kern_start(), sum = 0;
	int ok = 1;

	for (int i = 0; i < iters; i++) {
		uint16_t crc = (uint16_t)i;

		crc = list_work(&seed, crc, &ok);
		crc = matrix_work(&seed, crc);
		crc = state_work(&seed, crc, &ok);
		sum = sum * 65599 + crc;
	}
	return kern_report("mix", sum, t0, ok);
}
