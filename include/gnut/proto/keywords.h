/* keywords.h: the one normalisation of text into keywords that the share
 * index, the query routing table and incoming queries all use, so that a
 * word hashed into our QRP table and the same word typed in a query land on
 * the same bytes (the QRP hash works on bytes, not characters). */
#ifndef GNUT_KEYWORDS_H
#define GNUT_KEYWORDS_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

/* At most this many keywords come out of one text. */
#define GNUT_KEYWORDS_MAX 32
/* A keyword longer than this many bytes (after normalisation) is dropped. */
#define GNUT_KEYWORD_MAX_LEN 64
/* Texts longer than this many bytes are not split at all (an empty array):
 * the largest Gnutella payload peers accept, so no honest caller hits it. */
#define GNUT_KEYWORDS_MAX_INPUT 65536

/* Splits UTF-8 text into normalised keywords: NFKC, case-folded, split on
 * every character that is not a letter or digit, empty pieces dropped, at
 * most GNUT_KEYWORDS_MAX (32) keywords, each at most GNUT_KEYWORD_MAX_LEN
 * (64) bytes (longer ones dropped). Invalid UTF-8 yields an empty array.
 * Returns a GPtrArray of g_malloc'd strings (with g_free as free func).
 * Details: a combining mark (Unicode M*) right after a letter, digit or mark
 * stays in the word, so scripts whose letters do not precompose (Devanagari,
 * Thai) are not cut apart; NUL bytes count as invalid UTF-8; '.' is not a
 * letter, so file names split on it too ("Song.MP3" -> "song", "mp3"). */
GPtrArray *gnut_keywords_split(const char *text, size_t len);

/* The same as gnut_keywords_split, but duplicates are dropped (the first
 * occurrence is kept, order otherwise unchanged). Use it for a query or a
 * file name about to be matched against an index or a routing table. */
GPtrArray *gnut_keywords_split_unique(const char *text, size_t len);

/* Normalises one word the way gnut_keywords_split normalises each piece
 * (NFKC then case-fold), without splitting. Returns a g_malloc'd string, or
 * NULL if word is not valid UTF-8. */
char *gnut_keyword_normalise(const char *word, size_t len);

#endif
