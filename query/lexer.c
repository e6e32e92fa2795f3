/*
 * lexer.c — tokens of the SQL dialect (docs/language.md): bare words
 * (keywords are matched case-insensitively by the parser), "quoted names",
 * 'strings' with '' escapes, integers and decimals, operators; `--` line
 * comments and `/ * * /` block comments are skipped.  Every token records its
 * line and column (1-based, bytes) for error messages.
 */
#include <ctype.h>
#include <string.h>

#include "query/query_int.h"

static void skip_blank(lexer *lx)
{
    for (;;) {
        while (lx->pos < lx->len && isspace((unsigned char)lx->src[lx->pos])) {
            if (lx->src[lx->pos] == '\n') {
                lx->line++;
                lx->line_start = lx->pos + 1;
            }
            lx->pos++;
        }
        if (lx->pos + 1 < lx->len && lx->src[lx->pos] == '-' && lx->src[lx->pos + 1] == '-') {
            while (lx->pos < lx->len && lx->src[lx->pos] != '\n')
                lx->pos++;
            continue;
        }
        if (lx->pos + 1 < lx->len && lx->src[lx->pos] == '/' && lx->src[lx->pos + 1] == '*') {
            size_t p = lx->pos + 2;
            while (p + 1 < lx->len && !(lx->src[p] == '*' && lx->src[p + 1] == '/'))
                p++;
            if (p + 1 >= lx->len)
                return; /* unterminated: reported by ots_q_lex */
            for (size_t i = lx->pos; i < p; i++)
                if (lx->src[i] == '\n') {
                    lx->line++;
                    lx->line_start = i + 1;
                }
            lx->pos = p + 2;
            continue;
        }
        return;
    }
}

static const char *ops2[] = {"<>", "!=", "<=", ">=", "||", "::", NULL};

int ots_q_lex(lexer *lx, qarena *a, token *t, qerr *e)
{
    skip_blank(lx);
    memset(t, 0, sizeof *t);
    t->off = lx->pos;
    t->line = lx->line;
    t->col = (int)(lx->pos - lx->line_start) + 1;
    if (lx->pos >= lx->len) {
        t->kind = TK_EOF;
        t->s = "";
        t->end = lx->pos;
        return OTS_OK;
    }
    const char *s = lx->src;
    size_t p = lx->pos;
    unsigned char c = (unsigned char)s[p];
    if (c == '/' && p + 1 < lx->len && s[p + 1] == '*')
        return ots_q_err_at(e, t->line, t->col, "unterminated comment");
    if (isalpha(c) || c == '_') {
        while (p < lx->len && (isalnum((unsigned char)s[p]) || s[p] == '_'))
            p++;
        t->kind = TK_IDENT;
        t->s = ots_q_strndup(a, s + lx->pos, p - lx->pos);
    } else if (isdigit(c) || (c == '.' && p + 1 < lx->len && isdigit((unsigned char)s[p + 1]))) {
        int fl = 0;
        while (p < lx->len && isdigit((unsigned char)s[p]))
            p++;
        if (p < lx->len && s[p] == '.') {
            fl = 1;
            p++;
            while (p < lx->len && isdigit((unsigned char)s[p]))
                p++;
        }
        if (p < lx->len && (s[p] == 'e' || s[p] == 'E')) {
            size_t q = p + 1;
            if (q < lx->len && (s[q] == '+' || s[q] == '-'))
                q++;
            if (q < lx->len && isdigit((unsigned char)s[q])) {
                fl = 1;
                p = q;
                while (p < lx->len && isdigit((unsigned char)s[p]))
                    p++;
            }
        }
        t->kind = fl ? TK_FLOAT : TK_INT;
        t->s = ots_q_strndup(a, s + lx->pos, p - lx->pos);
    } else if (c == '\'' || c == '"') {
        char q = (char)c;
        size_t n = 0, i = p + 1;
        int line = lx->line;
        size_t ls = lx->line_start;
        for (;;) {
            if (i >= lx->len)
                return ots_q_err_at(e, t->line, t->col, "unterminated %s", q == '\'' ? "string" : "quoted name");
            if (s[i] == q) {
                if (i + 1 < lx->len && s[i + 1] == q) {
                    i += 2, n++;
                    continue;
                }
                break;
            }
            if (s[i] == '\n')
                line++, ls = i + 1;
            i++, n++;
        }
        char *out = ots_q_alloc(a, n + 1);
        if (!out)
            return ots_q_err(e, OTS_ENOMEM, "out of memory");
        size_t k = 0;
        for (size_t j = p + 1; j < i; j++) {
            out[k++] = s[j];
            if (s[j] == q)
                j++;
        }
        out[k] = 0;
        if (q == '"' && k == 0)
            return ots_q_err_at(e, t->line, t->col, "empty quoted name");
        p = i + 1;
        lx->line = line;
        lx->line_start = ls;
        t->kind = q == '\'' ? TK_STRING : TK_QIDENT;
        t->s = out;
    } else {
        t->kind = TK_OP;
        for (int i = 0; ops2[i]; i++)
            if (p + 1 < lx->len && s[p] == ops2[i][0] && s[p + 1] == ops2[i][1]) {
                t->s = ops2[i];
                p += 2;
                goto done;
            }
        if (!strchr("(),;.*+-/%=<>", c) || c == 0) {
            if (isprint(c))
                return ots_q_err_at(e, t->line, t->col, "unexpected character '%c'", c);
            return ots_q_err_at(e, t->line, t->col, "unexpected byte 0x%02x", c);
        }
        t->s = ots_q_strndup(a, s + p, 1);
        p++;
    }
done:
    if (!t->s)
        return ots_q_err(e, OTS_ENOMEM, "out of memory");
    lx->pos = p;
    t->end = p;
    return OTS_OK;
}
