/* tests/transitions.h - watches every change of a transfer's state and of
   its request body's state through the engine's MPX_TEST_STATE hook, and
   checks each one against the tables of legal changes below, written from
   the design (DESIGN.md's state machine), not read off the code.

   Include it before multiperform.h (or compat/curl/curl.h), after defining
   MPT_MUST: the changes the suite must see, which proves the hook is live.
   Its last test calls mpt_check_transitions(MPT_MUST). MPT_SHOW_TRANSITIONS=1
   in the environment lists the changes a suite saw. */
#ifndef MPT_TRANSITIONS_H
#define MPT_TRANSITIONS_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the engine's numbering: enum MPX_S_ and enum MPX_B_ */
static const char *const mpt_state_names[] = {"NONE",   "INIT", "PENDING", "CONNECT", "RESOLVING", "CONNECTING",
                                              "TUNNEL", "TLS",  "SEND",    "RECV",    "DONE"};
static const char *const mpt_body_names[] = {"NONE", "WAIT100", "SENDING", "DONE", "ABANDONED"};
#define MPT_NSTATES 11
#define MPT_NBODY 5

/* to-states allowed from each state, as "NAME NAME ..." */
static const char *const mpt_legal_state[MPT_NSTATES] = {
    /* NONE: added */ "INIT",
    /* INIT: the first hop, a bad option, removed */ "CONNECT DONE NONE",
    /* PENDING: a slot freed: a reused or a new connection */ "RESOLVING CONNECTING TUNNEL TLS SEND DONE NONE",
    /* CONNECT: wait for a limit, reuse, look the name up, connect (or connected at once) */
    "PENDING RESOLVING CONNECTING TUNNEL TLS SEND DONE NONE",
    /* RESOLVING: the name's addresses are in (or none, or time is up) */ "CONNECT DONE NONE",
    /* CONNECTING: the next address, connected (to a proxy: its tunnel first) */ "CONNECTING TUNNEL TLS SEND DONE NONE",
    /* TUNNEL: the proxy's answer to CONNECT: TLS or the request; a 407 answered on a new connection */
    "TLS SEND CONNECT DONE NONE",
    /* TLS */ "SEND DONE NONE",
    /* SEND: sent; a dead reused connection retried */ "RECV CONNECT DONE NONE",
    /* RECV: retried, or a redirect's next hop */ "CONNECT DONE NONE",
    /* DONE */ "NONE"};
static const char *const mpt_legal_body[MPT_NBODY] = {
    /* NONE: the head is sent */ "WAIT100 SENDING",
    /* WAIT100: 100 Continue or its timeout, an early answer, a rewind */ "SENDING ABANDONED NONE",
    /* SENDING */ "DONE ABANDONED NONE",
    /* DONE: rewound for a retry or a redirect */ "NONE",
    /* ABANDONED */ "NONE"};

static unsigned long mpt_seen[2][MPT_NSTATES][MPT_NSTATES];
static unsigned long mpt_out_of_range;

static void mpt_state_seen(int body, int from, int to)
{
    int n = body ? MPT_NBODY : MPT_NSTATES;
    if (from < 0 || from >= n || to < 0 || to >= n) mpt_out_of_range++;
    else mpt_seen[body != 0][from][to]++;
}
#define MPX_TEST_STATE(e, body, from, to) mpt_state_seen((body), (from), (to))

static int mpt_word_in(const char *list, const char *w)
{
    size_t n = strlen(w);
    const char *p = list;
    while ((p = strstr(p, w)) != NULL) {
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0)) return 1;
        p += n;
    }
    return 0;
}

/* Every change seen is legal, and each of the changes named in must
   ("S:FROM>TO" for states, "B:FROM>TO" for the body, space-separated) was
   seen. Prints what it saw; returns the number of problems. */
static int mpt_check_transitions(const char *must)
{
    int body, f, t, bad = 0, distinct = 0;
    char want[64];
    const char *p = must;
    if (mpt_out_of_range) {
        printf("  a state number out of range, %lu times\n", mpt_out_of_range);
        bad++;
    }
    for (body = 0; body < 2; body++) {
        int n = body ? MPT_NBODY : MPT_NSTATES;
        const char *const *names = body ? mpt_body_names : mpt_state_names;
        for (f = 0; f < n; f++)
            for (t = 0; t < n; t++) {
                if (!mpt_seen[body][f][t]) continue;
                distinct++;
                if (getenv("MPT_SHOW_TRANSITIONS")) printf("  seen %c:%s>%s\n", body ? 'B' : 'S', names[f], names[t]);
                if (!mpt_word_in(body ? mpt_legal_body[f] : mpt_legal_state[f], names[t])) {
                    printf("  illegal %s change %s -> %s, %lu times\n", body ? "body" : "state", names[f], names[t],
                           mpt_seen[body][f][t]);
                    bad++;
                }
            }
    }
    while (sscanf(p, " %63s", want) == 1) {
        char from[32], to[32];
        int b = want[0] == 'B', found = 0;
        const char *const *names = b ? mpt_body_names : mpt_state_names;
        int n = b ? MPT_NBODY : MPT_NSTATES;
        if (sscanf(want + 2, "%31[A-Z0-9]>%31[A-Z0-9]", from, to) == 2)
            for (f = 0; f < n; f++)
                for (t = 0; t < n; t++)
                    if (!strcmp(names[f], from) && !strcmp(names[t], to) && mpt_seen[b][f][t]) found = 1;
        if (!found) {
            printf("  never saw %s\n", want);
            bad++;
        }
        p = strstr(p, want) + strlen(want);
    }
    printf("  %d distinct state changes seen, %d problems\n", distinct, bad);
    return bad;
}
#endif
