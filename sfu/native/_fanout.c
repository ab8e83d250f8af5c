/*
 * sfu.native._fanout: the SFU's egress fan-out in C.
 *
 * For one ingress RTP packet and its subscriber legs (sfu.downtrack.DownTrack
 * objects) it does what DownTrack.write does for a leg that has started:
 * rewrites the header (SSRC, payload type, sequence number and timestamp
 * offsets, header extensions), stores the rewritten packet in the leg's NACK
 * history, SRTP-protects it with the leg's libsrtp session and sends every leg
 * with sendmmsg (one call per socket). Legs that have not started yet (waiting
 * for a keyframe) and legs without a native sink go through DownTrack.write in
 * Python, so the Python code stays the only place that decides when a leg
 * starts.
 *
 * The leg state stays in the DownTrack's own attributes (read and written
 * here by name), so NACK answers, pause/resume and restart in Python see the
 * same state whichever path forwarded the packet.
 *
 * Types:
 *   Session(profile, key)  an outbound libsrtp session (ssrc_any_outbound,
 *                          allow_repeat_tx, window 1024: aiortc's tx policy).
 *   Sink(...)              one leg's way out: session + socket + address,
 *                          with the DTLS "connected" check. Has ready() and
 *                          send(data) like sfu.aiortc_internals' DatagramSink.
 * Functions:
 *   configure(adopt, on_error)   hooks called from fan_out (see __init__.py)
 *   fan_out(packet, legs[, layer])
 *                                the per-leg loop; with `layer` (a simulcast
 *                                layer's packet) only legs forwarding that layer
 *                                take it natively, a leg switching to it (the
 *                                keyframe test, the numbering carried over) goes
 *                                through DownTrack.write, the others skip it
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <netinet/in.h>
#include <srtp2/srtp.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define MAX_RTP 65536
#define NTP_UNIX_OFFSET 2208988800ULL

static PyObject *adopt_hook = NULL;    /* adopt(leg) -> None: gives the leg a Sink */
static PyObject *error_hook = NULL;    /* on_error(leg, packet, exc) -> None */
static PyObject *one = NULL;           /* the int 1 (ICE component) */
static PyObject *zero = NULL;          /* the int 0 (a fresh history slot's resends) */

/* Interned attribute names. */
static PyObject *s_active, *s_paused, *s_started, *s_sink, *s_write, *s_first_in_seq,
    *s_seq_offset, *s_ts_offset, *s_last_out_seq, *s_pt, *s_leg_ssrc, *s_static_ext, *s_abs_id,
    *s_ext_prefix, *s_ext_suffix, *s_level_id, *s_mid_element, *s_history, *s_mask,
    *s_packets_sent, *s_octets_sent, *s_sent_ntp, *s_resends, *s_last_out_ts, *s_last_sent_ntp, *s_sequence_number, *s_timestamp, *s_marker, *s_payload,
    *s_padding_size, *s_extensions, *s_audio_level, *s_fileno, *s_layer, *s_target_layer,
    *s_vp8_ids, *s_pic_offset, *s_tl0_offset, *s_last_pic, *s_last_tl0;

/* ------------------------------------------------------------------ Session */

typedef struct {
    PyObject_HEAD
    srtp_t srtp;
    int profile;
    int inbound;
    unsigned long long unprotect_failures;
} SessionObject;

static int srtp_ready = 0;

static int
Session_init(SessionObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"profile", "key", "inbound", NULL};
    int profile;
    int inbound = 0;
    Py_buffer key;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "iy*|p", kwlist, &profile, &key, &inbound))
        return -1;
    if (self->srtp != NULL) {
        PyBuffer_Release(&key);
        PyErr_SetString(PyExc_RuntimeError, "Session already initialised");
        return -1;
    }
    srtp_policy_t policy;
    memset(&policy, 0, sizeof(policy));
    if (srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, (srtp_profile_t)profile) !=
            srtp_err_status_ok ||
        srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, (srtp_profile_t)profile) !=
            srtp_err_status_ok) {
        PyBuffer_Release(&key);
        PyErr_Format(PyExc_ValueError, "SRTP profile %d is not supported", profile);
        return -1;
    }
    unsigned int want =
        srtp_profile_get_master_key_length((srtp_profile_t)profile) +
        srtp_profile_get_master_salt_length((srtp_profile_t)profile);
    if (key.len != (Py_ssize_t)want) {
        PyBuffer_Release(&key);
        PyErr_Format(PyExc_ValueError, "SRTP key must be %u bytes", want);
        return -1;
    }
    unsigned char keybuf[64];
    memcpy(keybuf, key.buf, want);
    PyBuffer_Release(&key);
    /* aiortc's policies: rx ssrc_any_inbound, tx ssrc_any_outbound; both window 1024 and
     * allow_repeat_tx. */
    policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    policy.key = keybuf;
    policy.window_size = 1024;
    policy.allow_repeat_tx = 1;
    policy.next = NULL;
    srtp_err_status_t status = srtp_create(&self->srtp, &policy);
    memset(keybuf, 0, sizeof(keybuf));
    if (status != srtp_err_status_ok) {
        self->srtp = NULL;
        PyErr_Format(PyExc_ValueError, "srtp_create failed (%d)", (int)status);
        return -1;
    }
    self->profile = profile;
    self->inbound = inbound;
    return 0;
}

static void
Session_dealloc(SessionObject *self)
{
    if (self->srtp != NULL)
        srtp_dealloc(self->srtp);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Protect len bytes in buf (room for SRTP_MAX_TRAILER_LEN more); returns the new length or -1. */
static int
session_protect(SessionObject *self, unsigned char *buf, int len)
{
    if (self->srtp == NULL || len < 12)
        return -1;
    int n = len;
    if (srtp_protect(self->srtp, buf, &n) != srtp_err_status_ok)
        return -1;
    return n;
}

static PyObject *
Session_protect(SessionObject *self, PyObject *arg)
{
    Py_buffer data;
    if (PyObject_GetBuffer(arg, &data, PyBUF_SIMPLE) < 0)
        return NULL;
    if (self->srtp == NULL) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_RuntimeError, "Session is not initialised");
        return NULL;
    }
    if (data.len < 12 || data.len > MAX_RTP) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "not an RTP packet (length)");
        return NULL;
    }
    unsigned char *buf = PyMem_Malloc(data.len + SRTP_MAX_TRAILER_LEN);
    if (buf == NULL) {
        PyBuffer_Release(&data);
        return PyErr_NoMemory();
    }
    memcpy(buf, data.buf, data.len);
    int n = session_protect(self, buf, (int)data.len);
    PyBuffer_Release(&data);
    PyObject *out = NULL;
    if (n < 0)
        PyErr_SetString(PyExc_ValueError, "SRTP protect failed");
    else
        out = PyBytes_FromStringAndSize((char *)buf, n);
    PyMem_Free(buf);
    return out;
}

/* Unprotect len bytes of SRTP in buf in place; returns the plaintext length or -1. */
static int
session_unprotect(SessionObject *self, unsigned char *buf, int len)
{
    if (self->srtp == NULL || !self->inbound || len < 12)
        return -1;
    int n = len;
    if (srtp_unprotect(self->srtp, buf, &n) != srtp_err_status_ok) {
        self->unprotect_failures++;
        return -1;
    }
    return n;
}

static PyObject *
Session_unprotect(SessionObject *self, PyObject *arg)
{
    Py_buffer data;
    if (PyObject_GetBuffer(arg, &data, PyBUF_SIMPLE) < 0)
        return NULL;
    if (self->srtp == NULL || !self->inbound) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_RuntimeError, "not an initialised inbound Session");
        return NULL;
    }
    if (data.len < 12 || data.len > MAX_RTP) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "not an SRTP packet (length)");
        return NULL;
    }
    unsigned char *buf = PyMem_Malloc(data.len);
    if (buf == NULL) {
        PyBuffer_Release(&data);
        return PyErr_NoMemory();
    }
    memcpy(buf, data.buf, data.len);
    int n = session_unprotect(self, buf, (int)data.len);
    PyBuffer_Release(&data);
    PyObject *out = NULL;
    if (n < 0)
        PyErr_SetString(PyExc_ValueError, "SRTP unprotect failed");
    else
        out = PyBytes_FromStringAndSize((char *)buf, n);
    PyMem_Free(buf);
    return out;
}

static PyObject *
Session_failures(SessionObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyLong_FromUnsignedLongLong(self->unprotect_failures);
}

static PyMethodDef Session_methods[] = {
    {"protect", (PyCFunction)Session_protect, METH_O, "SRTP-protect one RTP packet."},
    {"unprotect", (PyCFunction)Session_unprotect, METH_O,
     "SRTP-unprotect one RTP packet (inbound sessions); ValueError if it fails."},
    {"unprotect_failures", (PyCFunction)Session_failures, METH_NOARGS,
     "How many packets failed to unprotect (authentication, replay)."},
    {NULL}};

static PyMemberDef Session_members[] = {
    {"profile", T_INT, offsetof(SessionObject, profile), READONLY, "libsrtp profile number"},
    {"inbound", T_INT, offsetof(SessionObject, inbound), READONLY, "1: a receive session"},
    {NULL}};

static PyTypeObject SessionType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "sfu.native._fanout.Session",
    .tp_basicsize = sizeof(SessionObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A libsrtp session with aiortc's transmit (or, inbound=True, receive) policy.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Session_init,
    .tp_dealloc = (destructor)Session_dealloc,
    .tp_methods = Session_methods,
    .tp_members = Session_members,
};

/* --------------------------------------------------------------------- Sink */

typedef struct {
    PyObject_HEAD
    PyObject *holder;     /* object whose attribute `state_name` tells whether DTLS is up */
    PyObject *state_name; /* str */
    PyObject *connected;  /* the value meaning "connected" (compared by identity) */
    PyObject *refresh;    /* refresh(sink) -> bool: (re)sets the route; None: fixed route */
    PyObject *nominated;  /* dict component -> pair, or None */
    PyObject *pair;       /* the pair the route was set for */
    PyObject *sock;       /* the socket object the route was set from */
    int fd;               /* our own duplicate of its descriptor (-1: none) */
    PyObject *session;    /* SessionObject or None */
    PyObject *report;     /* dict of sender-report fields, or None */
    PyObject *report_keys; /* tuple (ntp, rtp_timestamp, packets, octets) of keys */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    unsigned long long sent;
    unsigned long long send_errors;
} SinkObject;

static PyTypeObject SinkType;

static PyObject *
Sink_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    SinkObject *self = (SinkObject *)type->tp_alloc(type, 0);
    if (self != NULL)
        self->fd = -1;
    return (PyObject *)self;
}

static int
Sink_init(SinkObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"holder", "state_name", "connected", "refresh", NULL};
    PyObject *holder, *state_name, *connected, *refresh;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OUOO", kwlist, &holder, &state_name,
                                     &connected, &refresh))
        return -1;
    Py_INCREF(holder);
    Py_XSETREF(self->holder, holder);
    Py_INCREF(state_name);
    Py_XSETREF(self->state_name, state_name);
    Py_INCREF(connected);
    Py_XSETREF(self->connected, connected);
    Py_INCREF(refresh);
    Py_XSETREF(self->refresh, refresh);
    Py_INCREF(Py_None);
    Py_XSETREF(self->nominated, Py_None);
    Py_INCREF(Py_None);
    Py_XSETREF(self->pair, Py_None);
    Py_INCREF(Py_None);
    Py_XSETREF(self->sock, Py_None);
    Py_INCREF(Py_None);
    Py_XSETREF(self->session, Py_None);
    Py_INCREF(Py_None);
    Py_XSETREF(self->report, Py_None);
    Py_INCREF(Py_None);
    Py_XSETREF(self->report_keys, Py_None);
    self->addrlen = 0;
    if (self->fd >= 0)
        close(self->fd);
    self->fd = -1;
    return 0;
}

static int
Sink_traverse(SinkObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->holder);
    Py_VISIT(self->state_name);
    Py_VISIT(self->connected);
    Py_VISIT(self->refresh);
    Py_VISIT(self->nominated);
    Py_VISIT(self->pair);
    Py_VISIT(self->sock);
    Py_VISIT(self->session);
    Py_VISIT(self->report);
    Py_VISIT(self->report_keys);
    return 0;
}

static int
Sink_clear(SinkObject *self)
{
    Py_CLEAR(self->holder);
    Py_CLEAR(self->state_name);
    Py_CLEAR(self->connected);
    Py_CLEAR(self->refresh);
    Py_CLEAR(self->nominated);
    Py_CLEAR(self->pair);
    Py_CLEAR(self->sock);
    Py_CLEAR(self->session);
    Py_CLEAR(self->report);
    Py_CLEAR(self->report_keys);
    return 0;
}

static void
Sink_dealloc(SinkObject *self)
{
    PyObject_GC_UnTrack(self);
    Sink_clear(self);
    if (self->fd >= 0)
        close(self->fd);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* set_route(session, nominated, pair, sock, host, port): where this leg's packets go. */
static PyObject *
Sink_set_route(SinkObject *self, PyObject *args)
{
    PyObject *session, *nominated, *pair, *sock;
    const char *host;
    int port;
    if (!PyArg_ParseTuple(args, "O!OOOsi", &SessionType, &session, &nominated, &pair, &sock,
                          &host, &port))
        return NULL;
    if (nominated != Py_None && !PyDict_Check(nominated)) {
        PyErr_SetString(PyExc_TypeError, "nominated must be a dict or None");
        return NULL;
    }
    if (port < 0 || port > 65535) {
        PyErr_SetString(PyExc_ValueError, "port out of range");
        return NULL;
    }
    struct sockaddr_storage addr;
    socklen_t addrlen;
    memset(&addr, 0, sizeof(addr));
    struct sockaddr_in *a4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&addr;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((unsigned short)port);
        addrlen = sizeof(*a4);
    }
    else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((unsigned short)port);
        addrlen = sizeof(*a6);
    }
    else {
        PyErr_Format(PyExc_ValueError, "not an IP address: %s", host);
        return NULL;
    }
    /* Our own duplicate of the descriptor: it stays valid (the same socket, the same local
     * address) even if asyncio closes its own, so a reused number can never be written to. */
    PyObject *fdobj = PyObject_CallMethodNoArgs(sock, s_fileno);
    if (fdobj == NULL)
        return NULL;
    long sockfd = PyLong_AsLong(fdobj);
    Py_DECREF(fdobj);
    if (sockfd == -1 && PyErr_Occurred())
        return NULL;
    if (sockfd < 0 || sockfd > 0x7fffffff) {
        PyErr_SetString(PyExc_ValueError, "the socket is closed");
        return NULL;
    }
    int fd = fcntl((int)sockfd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return PyErr_SetFromErrno(PyExc_OSError);
    if (self->fd >= 0)
        close(self->fd);
    self->fd = fd;
    Py_INCREF(session);
    Py_SETREF(self->session, session);
    Py_INCREF(nominated);
    Py_SETREF(self->nominated, nominated);
    Py_INCREF(pair);
    Py_SETREF(self->pair, pair);
    Py_INCREF(sock);
    Py_SETREF(self->sock, sock);
    self->addr = addr;
    self->addrlen = addrlen;
    Py_RETURN_NONE;
}

/* set_report(fields, keys): the sender-report dict and its 4 keys, updated per packet sent. */
static PyObject *
Sink_set_report(SinkObject *self, PyObject *args)
{
    PyObject *fields, *keys;
    if (!PyArg_ParseTuple(args, "O!O!", &PyDict_Type, &fields, &PyTuple_Type, &keys))
        return NULL;
    if (PyTuple_GET_SIZE(keys) != 4) {
        PyErr_SetString(PyExc_ValueError, "four report keys expected");
        return NULL;
    }
    Py_INCREF(fields);
    Py_SETREF(self->report, fields);
    Py_INCREF(keys);
    Py_SETREF(self->report_keys, keys);
    Py_RETURN_NONE;
}

/* The socket to send on, or -1 (not ready). Sets an exception only on a real error (returns -2). */
static int
sink_fd(SinkObject *self)
{
    PyObject *state = PyObject_GetAttr(self->holder, self->state_name);
    if (state == NULL)
        return -2;
    int connected = state == self->connected;
    Py_DECREF(state);
    if (!connected) {
        /* DTLS never comes back from closed or failed: let the socket go now. */
        if (self->fd >= 0 && self->addrlen != 0) {
            close(self->fd);
            self->fd = -1;
            self->addrlen = 0;
        }
        return -1;
    }
    int stale = self->addrlen == 0 || self->session == Py_None;
    if (!stale && self->nominated != Py_None) {
        PyObject *pair = PyDict_GetItemWithError(self->nominated, one); /* borrowed */
        if (pair == NULL && PyErr_Occurred())
            return -2;
        stale = pair != self->pair;
    }
    if (stale) {
        if (self->refresh == Py_None)
            return -1;
        PyObject *ok = PyObject_CallOneArg(self->refresh, (PyObject *)self);
        if (ok == NULL)
            return -2;
        int truth = PyObject_IsTrue(ok);
        Py_DECREF(ok);
        if (truth < 0)
            return -2;
        if (!truth || self->addrlen == 0 || self->session == Py_None)
            return -1;
    }
    return self->fd;
}

static PyObject *
Sink_ready(SinkObject *self, PyObject *Py_UNUSED(ignored))
{
    int fd = sink_fd(self);
    if (fd == -2)
        return NULL;
    return PyBool_FromLong(fd >= 0);
}

/* Record a sent packet in the sender-report fields. Returns -1 with an exception on error. */
static int
sink_report(SinkObject *self, unsigned long long ntp, unsigned long rtp_ts, PyObject *packets,
            PyObject *octets)
{
    if (self->report == Py_None)
        return 0;
    PyObject *keys = self->report_keys;
    PyObject *v = PyLong_FromUnsignedLongLong(ntp);
    if (v == NULL || PyDict_SetItem(self->report, PyTuple_GET_ITEM(keys, 0), v) < 0) {
        Py_XDECREF(v);
        return -1;
    }
    Py_DECREF(v);
    v = PyLong_FromUnsignedLong(rtp_ts);
    if (v == NULL || PyDict_SetItem(self->report, PyTuple_GET_ITEM(keys, 1), v) < 0) {
        Py_XDECREF(v);
        return -1;
    }
    Py_DECREF(v);
    if (PyDict_SetItem(self->report, PyTuple_GET_ITEM(keys, 2), packets) < 0)
        return -1;
    if (PyDict_SetItem(self->report, PyTuple_GET_ITEM(keys, 3), octets) < 0)
        return -1;
    return 0;
}

/* send(data) -> bool: protect and send one RTP packet (NACK answers, a leg's first packets). */
static PyObject *
Sink_send(SinkObject *self, PyObject *arg)
{
    Py_buffer data;
    if (PyObject_GetBuffer(arg, &data, PyBUF_SIMPLE) < 0)
        return NULL;
    if (data.len < 12 || data.len > MAX_RTP) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_ValueError, "not an RTP packet (length)");
        return NULL;
    }
    int fd = sink_fd(self);
    if (fd < 0) {
        PyBuffer_Release(&data);
        if (fd == -2)
            return NULL;
        Py_RETURN_FALSE;
    }
    unsigned char *buf = PyMem_Malloc(data.len + SRTP_MAX_TRAILER_LEN);
    if (buf == NULL) {
        PyBuffer_Release(&data);
        return PyErr_NoMemory();
    }
    memcpy(buf, data.buf, data.len);
    int n = session_protect((SessionObject *)self->session, buf, (int)data.len);
    PyBuffer_Release(&data);
    if (n < 0) {
        PyMem_Free(buf);
        PyErr_SetString(PyExc_ValueError, "SRTP protect failed");
        return NULL;
    }
    ssize_t r;
    Py_BEGIN_ALLOW_THREADS
    r = sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&self->addr, self->addrlen);
    Py_END_ALLOW_THREADS
    PyMem_Free(buf);
    if (r < 0)
        self->send_errors++;  /* UDP: like asyncio's sendto, a failed send is a lost packet */
    else
        self->sent++;
    Py_RETURN_TRUE;
}

static PyObject *
Sink_stats(SinkObject *self, PyObject *Py_UNUSED(ignored))
{
    return Py_BuildValue("(KK)", self->sent, self->send_errors);
}

static PyMethodDef Sink_methods[] = {
    {"ready", (PyCFunction)Sink_ready, METH_NOARGS, "Whether DTLS is up and a route is set."},
    {"send", (PyCFunction)Sink_send, METH_O, "Protect and send one RTP packet."},
    {"set_route", (PyCFunction)Sink_set_route, METH_VARARGS, "Set session, pair and address."},
    {"set_report", (PyCFunction)Sink_set_report, METH_VARARGS, "Set the sender-report dict."},
    {"stats", (PyCFunction)Sink_stats, METH_NOARGS, "(datagrams sent, send errors)."},
    {NULL}};

static PyTypeObject SinkType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "sfu.native._fanout.Sink",
    .tp_basicsize = sizeof(SinkObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "One subscriber leg's way out: native SRTP session, socket and address.",
    .tp_new = Sink_new,
    .tp_init = (initproc)Sink_init,
    .tp_dealloc = (destructor)Sink_dealloc,
    .tp_traverse = (traverseproc)Sink_traverse,
    .tp_clear = (inquiry)Sink_clear,
    .tp_methods = Sink_methods,
};

/* ------------------------------------------------------------------ fan_out */

/*
 * A leg attribute (new reference): straight from the instance dict when it is there (a
 * plain attribute; about 5x cheaper than the generic lookup), else the generic lookup
 * (properties, slots, class attributes).
 */
static PyObject *
leg_get(PyObject *obj, PyObject *name)
{
    PyObject **dictptr = _PyObject_GetDictPtr(obj);
    if (dictptr != NULL && *dictptr != NULL) {
        PyObject *v = PyDict_GetItemWithError(*dictptr, name);
        if (v != NULL) {
            Py_INCREF(v);
            return v;
        }
        if (PyErr_Occurred())
            return NULL;
    }
    return PyObject_GetAttr(obj, name);
}

/* Set a leg attribute: in the instance dict when it holds the name and the type has no
 * descriptor for it (a plain attribute), else the generic setattr. */
static int
leg_set(PyObject *obj, PyObject *name, PyObject *value)
{
    PyObject **dictptr = _PyObject_GetDictPtr(obj);
    if (dictptr != NULL && *dictptr != NULL && _PyType_Lookup(Py_TYPE(obj), name) == NULL) {
        int has = PyDict_Contains(*dictptr, name);
        if (has < 0)
            return -1;
        if (has)
            return PyDict_SetItem(*dictptr, name, value);
    }
    return PyObject_SetAttr(obj, name, value);
}

/* Integer attribute as an unsigned long (masked by the caller); -1 with an exception on error. */
static int
get_ulong(PyObject *obj, PyObject *name, unsigned long *out)
{
    PyObject *v = leg_get(obj, name);
    if (v == NULL)
        return -1;
    if (!PyLong_Check(v)) {
        Py_DECREF(v);
        PyErr_Format(PyExc_TypeError, "%U is not an int", name);
        return -1;
    }
    unsigned long n = PyLong_AsUnsignedLongMask(v);
    Py_DECREF(v);
    if (n == (unsigned long)-1 && PyErr_Occurred())
        return -1;
    *out = n;
    return 0;
}

static int
set_ulong(PyObject *obj, PyObject *name, unsigned long value)
{
    PyObject *v = PyLong_FromUnsignedLong(value);
    if (v == NULL)
        return -1;
    int r = leg_set(obj, name, v);
    Py_DECREF(v);
    return r;
}

/* Integer attribute as a signed long; -1 with an exception on error. */
static int
get_long(PyObject *obj, PyObject *name, long *out)
{
    PyObject *v = leg_get(obj, name);
    if (v == NULL)
        return -1;
    if (!PyLong_Check(v)) {
        Py_DECREF(v);
        PyErr_Format(PyExc_TypeError, "%U is not an int", name);
        return -1;
    }
    long n = PyLong_AsLong(v);
    Py_DECREF(v);
    if (n == -1 && PyErr_Occurred())
        return -1;
    *out = n;
    return 0;
}

/* Truth of an attribute: 1, 0, or -1 with an exception. */
static int
get_truth(PyObject *obj, PyObject *name)
{
    PyObject *v = leg_get(obj, name);
    if (v == NULL)
        return -1;
    int r = PyObject_IsTrue(v);
    Py_DECREF(v);
    return r;
}

/* self.<name>[slot] = value (steals nothing; value is borrowed). -1 with an exception on error. */
static int
set_slot(PyObject *obj, PyObject *name, Py_ssize_t slot, PyObject *value)
{
    PyObject *list = leg_get(obj, name);
    if (list == NULL)
        return -1;
    if (!PyList_Check(list) || slot >= PyList_GET_SIZE(list)) {
        Py_DECREF(list);
        PyErr_Format(PyExc_ValueError, "leg %U does not fit its mask", name);
        return -1;
    }
    Py_INCREF(value);
    PyList_SetItem(list, slot, value); /* steals the new reference */
    Py_DECREF(list);
    return 0;
}

/* Adds `delta` to an int attribute; returns the new value (new reference) or NULL. */
static PyObject *
add_to(PyObject *obj, PyObject *name, Py_ssize_t delta)
{
    PyObject *v = leg_get(obj, name);
    if (v == NULL)
        return NULL;
    PyObject *d = PyLong_FromSsize_t(delta);
    if (d == NULL) {
        Py_DECREF(v);
        return NULL;
    }
    PyObject *sum = PyNumber_Add(v, d);
    Py_DECREF(v);
    Py_DECREF(d);
    if (sum == NULL)
        return NULL;
    if (leg_set(obj, name, sum) < 0) {
        Py_DECREF(sum);
        return NULL;
    }
    return sum;
}

static unsigned long long
ntp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long sec = (unsigned long long)ts.tv_sec + NTP_UNIX_OFFSET;
    unsigned long long frac = ((unsigned long long)ts.tv_nsec << 32) / 1000000000ULL;
    return (sec << 32) | frac;
}

/* The ingress packet's fields, read once. */
typedef struct {
    unsigned long seq, timestamp;
    int marker;
    Py_buffer payload;
    unsigned long padding;
    int has_level, vad;
    unsigned long level;
} Ingress;

/* One message queued for sendmmsg. */
typedef struct {
    int fd;
    SinkObject *sink;
    unsigned char *buf;
    int len;
} Outgoing;

static void
report_error(PyObject *leg, PyObject *packet)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (value != NULL && tb != NULL)
        PyException_SetTraceback(value, tb);
    if (error_hook != NULL && value != NULL) {
        PyObject *r = PyObject_CallFunctionObjArgs(error_hook, leg, packet, value, NULL);
        if (r == NULL)
            PyErr_WriteUnraisable(error_hook);
        Py_XDECREF(r);
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
}

/* The slow path: DownTrack.write(packet[, layer]) in Python (layer NULL: not simulcast). */
static void
write_in_python(PyObject *leg, PyObject *packet, PyObject *layer)
{
    PyObject *r;
    if (layer == NULL) {
        r = PyObject_CallMethodOneArg(leg, s_write, packet);
    } else {
        PyObject *call[3] = {leg, packet, layer};
        r = PyObject_VectorcallMethod(s_write, call, 3, NULL);
    }
    if (r == NULL)
        report_error(leg, packet);
    Py_XDECREF(r);
}

/* Which way a simulcast layer's packet goes for a leg: 1 natively (the leg forwards that
 * layer), 0 through DownTrack.write (the leg is switching to it), -1 nowhere, -2 error. */
static int
layer_route(PyObject *leg, long layer)
{
    PyObject *v = leg_get(leg, s_layer);
    if (v == NULL)
        return -2;
    long current = PyLong_AsLong(v);
    Py_DECREF(v);
    if (current == -1 && PyErr_Occurred())
        return -2;
    if (current == layer)
        return 1;
    v = leg_get(leg, s_target_layer);
    if (v == NULL)
        return -2;
    long target = PyLong_AsLong(v);
    Py_DECREF(v);
    if (target == -1 && PyErr_Occurred())
        return -2;
    return target == layer ? 0 : -1;
}

/* Builds the leg's extension block into ext (max 64 + 4 + 255*... bounded); returns its length or -1. */
static Py_ssize_t
leg_extension(PyObject *leg, const Ingress *in, unsigned long long now, unsigned char *ext,
              Py_ssize_t cap)
{
    PyObject *abs_id = leg_get(leg, s_abs_id);
    if (abs_id == NULL)
        return -1;
    int has_abs = abs_id != Py_None;
    Py_DECREF(abs_id);
    if (has_abs) {
        PyObject *prefix = leg_get(leg, s_ext_prefix);
        PyObject *suffix = prefix ? leg_get(leg, s_ext_suffix) : NULL;
        if (suffix == NULL || !PyBytes_Check(prefix) || !PyBytes_Check(suffix)) {
            if (suffix != NULL)
                PyErr_SetString(PyExc_TypeError, "extension prefix/suffix must be bytes");
            Py_XDECREF(prefix);
            Py_XDECREF(suffix);
            return -1;
        }
        Py_ssize_t a = PyBytes_GET_SIZE(prefix), b = PyBytes_GET_SIZE(suffix);
        if (a + 3 + b > cap) {
            Py_DECREF(prefix);
            Py_DECREF(suffix);
            PyErr_SetString(PyExc_ValueError, "extension block too long");
            return -1;
        }
        unsigned long send_time = (unsigned long)((now >> 14) & 0xFFFFFF);
        memcpy(ext, PyBytes_AS_STRING(prefix), a);
        ext[a] = (unsigned char)(send_time >> 16);
        ext[a + 1] = (unsigned char)(send_time >> 8);
        ext[a + 2] = (unsigned char)send_time;
        memcpy(ext + a + 3, PyBytes_AS_STRING(suffix), b);
        Py_DECREF(prefix);
        Py_DECREF(suffix);
        return a + 3 + b;
    }
    if (in->has_level) {
        PyObject *level_id = leg_get(leg, s_level_id);
        if (level_id == NULL)
            return -1;
        if (level_id != Py_None) {
            long lid = PyLong_AsLong(level_id);
            Py_DECREF(level_id);
            if (lid == -1 && PyErr_Occurred())
                return -1;
            PyObject *mids = leg_get(leg, s_mid_element);
            if (mids == NULL)
                return -1;
            if (!PyList_Check(mids)) {
                Py_DECREF(mids);
                PyErr_SetString(PyExc_TypeError, "mid element must be a list");
                return -1;
            }
            /* extension_block([*mid_element, (level_id, value)]) */
            Py_ssize_t pos = 4;
            for (Py_ssize_t i = 0; i < PyList_GET_SIZE(mids) + 1; i++) {
                long eid;
                const unsigned char *val;
                Py_ssize_t vlen;
                unsigned char level_value;
                if (i < PyList_GET_SIZE(mids)) {
                    PyObject *item = PyList_GET_ITEM(mids, i);
                    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2 ||
                        !PyBytes_Check(PyTuple_GET_ITEM(item, 1))) {
                        Py_DECREF(mids);
                        PyErr_SetString(PyExc_TypeError, "bad mid element");
                        return -1;
                    }
                    eid = PyLong_AsLong(PyTuple_GET_ITEM(item, 0));
                    if (eid == -1 && PyErr_Occurred()) {
                        Py_DECREF(mids);
                        return -1;
                    }
                    val = (const unsigned char *)PyBytes_AS_STRING(PyTuple_GET_ITEM(item, 1));
                    vlen = PyBytes_GET_SIZE(PyTuple_GET_ITEM(item, 1));
                }
                else {
                    eid = lid;
                    level_value = (unsigned char)((in->vad ? 0x80 : 0) | (in->level & 0x7F));
                    val = &level_value;
                    vlen = 1;
                }
                if (eid < 1 || eid > 14 || vlen < 1 || vlen > 16 || pos + 1 + vlen > cap) {
                    Py_DECREF(mids);
                    PyErr_SetString(PyExc_ValueError, "bad one-byte header extension element");
                    return -1;
                }
                ext[pos++] = (unsigned char)((eid << 4) | (vlen - 1));
                memcpy(ext + pos, val, vlen);
                pos += vlen;
            }
            Py_DECREF(mids);
            while ((pos - 4) % 4) {
                if (pos >= cap) {
                    PyErr_SetString(PyExc_ValueError, "extension block too long");
                    return -1;
                }
                ext[pos++] = 0;
            }
            Py_ssize_t words = (pos - 4) / 4;
            ext[0] = 0xBE;
            ext[1] = 0xDE;
            ext[2] = (unsigned char)(words >> 8);
            ext[3] = (unsigned char)words;
            return pos;
        }
        Py_DECREF(level_id);
    }
    PyObject *st = leg_get(leg, s_static_ext);
    if (st == NULL)
        return -1;
    if (!PyBytes_Check(st) || PyBytes_GET_SIZE(st) > cap) {
        Py_DECREF(st);
        PyErr_SetString(PyExc_TypeError, "static extension must be short bytes");
        return -1;
    }
    Py_ssize_t n = PyBytes_GET_SIZE(st);
    memcpy(ext, PyBytes_AS_STRING(st), n);
    Py_DECREF(st);
    return n;
}

/* A VP8 payload descriptor's head with its picture ID and TL0PICIDX renumbered (as
 * sfu/payloads.py rewrite_vp8_ids: a 7-bit picture ID is widened to 15 bits). */
typedef struct {
    unsigned char head[6]; /* the new descriptor head */
    Py_ssize_t head_len;   /* its length */
    Py_ssize_t replaced;   /* payload bytes it replaces (0: the payload is sent as it is) */
    long picture_id, tl0;  /* the IDs it carries now (-1: absent) */
} Vp8Head;

static void
vp8_renumber(const unsigned char *src, Py_ssize_t n, long pic_offset, long tl0_offset,
             Vp8Head *h)
{
    h->head_len = h->replaced = 0;
    h->picture_id = h->tl0 = -1;
    if (n < 3 || !(src[0] & 0x80) || !(src[1] & 0xC0))
        return;
    unsigned char x = src[1];
    Py_ssize_t i = 2, o = 2;
    h->head[0] = src[0];
    h->head[1] = x;
    if (x & 0x80) {
        long pid;
        if (src[2] & 0x80) {
            if (n < 4)
                return;
            pid = ((long)(src[2] & 0x7F) << 8) | src[3];
            i = 4;
        }
        else {
            pid = src[2];
            i = 3;
        }
        pid = (pid + pic_offset) & 0x7FFF;
        h->head[2] = (unsigned char)(0x80 | (pid >> 8));
        h->head[3] = (unsigned char)pid;
        h->picture_id = pid;
        o = 4;
    }
    if ((x & 0x40) && i < n) {
        h->tl0 = (src[i] + tl0_offset) & 0xFF;
        h->head[o++] = (unsigned char)h->tl0;
        i++;
    }
    h->head_len = o;
    h->replaced = i;
}

/* Moves the leg's int attribute `name` (-1: none yet) on to `value` if that is newer in
 * the space `mask` + 1 wide (-1: nothing to note). */
static int
note_newer(PyObject *leg, PyObject *name, long value, long mask)
{
    long last;
    if (value < 0)
        return 0;
    if (get_long(leg, name, &last) < 0)
        return -1;
    if (last >= 0 && ((value - last) & mask) > mask / 2)
        return 0;
    return set_ulong(leg, name, (unsigned long)value);
}

/* The leg's newest picture ID and TL0PICIDX sent, moved on to those of `h` if newer. */
static int
note_vp8_ids(PyObject *leg, const Vp8Head *h)
{
    if (note_newer(leg, s_last_pic, h->picture_id, 0x7FFF) < 0)
        return -1;
    return note_newer(leg, s_last_tl0, h->tl0, 0xFF);
}

/*
 * The steady-state write of one started leg. Returns 1 if a message was queued in *out,
 * 0 if nothing is to be sent, -1 with an exception. `vp8_ids`: renumber VP8 picture IDs
 * (a simulcast VP8 leg; see DownTrack._vp8_ids).
 */
static int
write_leg(PyObject *leg, SinkObject *sink, const Ingress *in, unsigned long long now,
          Outgoing *out, int vp8_ids)
{
    unsigned long first, seq_offset, ts_offset, last_out, pt, ssrc, mask;
    if (get_ulong(leg, s_first_in_seq, &first) < 0)
        return -1;
    unsigned long behind = (in->seq - first) & 0xFFFF;
    if (behind >= 0x8000)
        return 0; /* a retransmission from before this leg started */
    if (behind > 0x2000 && set_ulong(leg, s_first_in_seq, (in->seq - 0x1000) & 0xFFFF) < 0)
        return -1;
    if (get_ulong(leg, s_seq_offset, &seq_offset) < 0 ||
        get_ulong(leg, s_ts_offset, &ts_offset) < 0 || get_ulong(leg, s_pt, &pt) < 0 ||
        get_ulong(leg, s_leg_ssrc, &ssrc) < 0 || get_ulong(leg, s_mask, &mask) < 0)
        return -1;
    unsigned long out_seq = (in->seq + seq_offset) & 0xFFFF;
    unsigned long timestamp = (in->timestamp + ts_offset) & 0xFFFFFFFFUL;

    Vp8Head vp8 = {.head_len = 0, .replaced = 0, .picture_id = -1, .tl0 = -1};
    if (vp8_ids) {
        long pic_offset, tl0_offset;
        if (get_long(leg, s_pic_offset, &pic_offset) < 0 ||
            get_long(leg, s_tl0_offset, &tl0_offset) < 0)
            return -1;
        vp8_renumber(in->payload.buf, in->payload.len, pic_offset, tl0_offset, &vp8);
    }
    const unsigned char *body = (const unsigned char *)in->payload.buf + vp8.replaced;
    Py_ssize_t body_len = in->payload.len - vp8.replaced;

    unsigned char ext[512];
    Py_ssize_t ext_len = leg_extension(leg, in, now, ext, sizeof(ext));
    if (ext_len < 0)
        return -1;
    Py_ssize_t payload_len =
        vp8.head_len + body_len + (in->padding ? (Py_ssize_t)in->padding : 0);
    Py_ssize_t total = 12 + ext_len + payload_len;
    if (total > MAX_RTP) {
        PyErr_SetString(PyExc_ValueError, "packet too long");
        return -1;
    }
    PyObject *data = PyBytes_FromStringAndSize(NULL, total);
    if (data == NULL)
        return -1;
    unsigned char *p = (unsigned char *)PyBytes_AS_STRING(data);
    p[0] = (unsigned char)(0x80 | (ext_len ? 0x10 : 0) | (in->padding ? 0x20 : 0));
    p[1] = (unsigned char)((pt & 0x7F) | (in->marker ? 0x80 : 0));
    p[2] = (unsigned char)(out_seq >> 8);
    p[3] = (unsigned char)out_seq;
    p[4] = (unsigned char)(timestamp >> 24);
    p[5] = (unsigned char)(timestamp >> 16);
    p[6] = (unsigned char)(timestamp >> 8);
    p[7] = (unsigned char)timestamp;
    p[8] = (unsigned char)(ssrc >> 24);
    p[9] = (unsigned char)(ssrc >> 16);
    p[10] = (unsigned char)(ssrc >> 8);
    p[11] = (unsigned char)ssrc;
    memcpy(p + 12, ext, ext_len);
    memcpy(p + 12 + ext_len, vp8.head, vp8.head_len);
    memcpy(p + 12 + ext_len + vp8.head_len, body, body_len);
    if (in->padding) {
        Py_ssize_t at = 12 + ext_len + vp8.head_len + body_len;
        memset(p + at, 0, in->padding - 1);
        p[at + in->padding - 1] = (unsigned char)in->padding;
    }

    /* History: self._history[out_seq & self._mask] = data */
    PyObject *history = leg_get(leg, s_history);
    if (history == NULL) {
        Py_DECREF(data);
        return -1;
    }
    Py_ssize_t slot = (Py_ssize_t)(out_seq & mask);
    if (!PyList_Check(history) || slot >= PyList_GET_SIZE(history)) {
        Py_DECREF(history);
        Py_DECREF(data);
        PyErr_SetString(PyExc_ValueError, "leg history does not fit its mask");
        return -1;
    }
    Py_INCREF(data);
    PyList_SetItem(history, slot, data); /* steals the new reference */
    Py_DECREF(history);
    /* NACK bookkeeping: self._sent_ntp[slot] = now; self._resends[slot] = 0 */
    PyObject *sent = PyLong_FromUnsignedLongLong(now);
    int failed = sent == NULL || set_slot(leg, s_sent_ntp, slot, sent) < 0 ||
                 set_slot(leg, s_resends, slot, zero) < 0;
    if (!failed && get_ulong(leg, s_last_out_seq, &last_out) < 0)
        failed = 1;
    /* The newest packet sent: sequence, RTP time and wall time (a layer switch continues them). */
    if (!failed && ((out_seq - last_out) & 0xFFFF) < 0x8000) {
        PyObject *ts = PyLong_FromUnsignedLong(timestamp);
        failed = ts == NULL || set_ulong(leg, s_last_out_seq, out_seq) < 0 ||
                 leg_set(leg, s_last_out_ts, ts) < 0 || leg_set(leg, s_last_sent_ntp, sent) < 0;
        Py_XDECREF(ts);
    }
    Py_XDECREF(sent);
    if (!failed && vp8_ids && note_vp8_ids(leg, &vp8) < 0)
        failed = 1;
    if (failed) {
        Py_DECREF(data);
        return -1;
    }

    int fd = sink_fd(sink);
    if (fd < 0) {
        Py_DECREF(data);
        return fd == -2 ? -1 : 0;
    }
    unsigned char *buf = PyMem_Malloc(total + SRTP_MAX_TRAILER_LEN);
    if (buf == NULL) {
        Py_DECREF(data);
        PyErr_NoMemory();
        return -1;
    }
    memcpy(buf, p, total);
    Py_DECREF(data);
    int n = session_protect((SessionObject *)sink->session, buf, (int)total);
    if (n < 0) {
        PyMem_Free(buf);
        PyErr_SetString(PyExc_ValueError, "SRTP protect failed");
        return -1;
    }
    PyObject *packets = add_to(leg, s_packets_sent, 1);
    PyObject *octets = packets ? add_to(leg, s_octets_sent, payload_len) : NULL;
    if (octets == NULL || sink_report(sink, now, timestamp, packets, octets) < 0) {
        Py_XDECREF(packets);
        Py_XDECREF(octets);
        PyMem_Free(buf);
        return -1;
    }
    Py_DECREF(packets);
    Py_DECREF(octets);
    out->fd = fd;
    out->sink = sink;
    out->buf = buf;
    out->len = n;
    return 1;
}

static int
read_ingress(PyObject *packet, Ingress *in)
{
    PyObject *v;
    unsigned long marker;
    memset(in, 0, sizeof(*in));
    if (get_ulong(packet, s_sequence_number, &in->seq) < 0 ||
        get_ulong(packet, s_timestamp, &in->timestamp) < 0 ||
        get_ulong(packet, s_marker, &marker) < 0 || get_ulong(packet, s_padding_size, &in->padding) < 0)
        return -1;
    in->seq &= 0xFFFF;
    in->timestamp &= 0xFFFFFFFFUL;
    in->marker = marker & 1;
    if (in->padding > 255) {
        PyErr_SetString(PyExc_ValueError, "padding_size out of range");
        return -1;
    }
    v = PyObject_GetAttr(packet, s_extensions);
    if (v == NULL)
        return -1;
    PyObject *level = PyObject_GetAttr(v, s_audio_level);
    Py_DECREF(v);
    if (level == NULL)
        return -1;
    if (level != Py_None) {
        if (!PyTuple_Check(level) || PyTuple_GET_SIZE(level) != 2) {
            Py_DECREF(level);
            PyErr_SetString(PyExc_TypeError, "audio_level must be (vad, level)");
            return -1;
        }
        int vad = PyObject_IsTrue(PyTuple_GET_ITEM(level, 0));
        unsigned long lv = PyLong_AsUnsignedLongMask(PyTuple_GET_ITEM(level, 1));
        if (vad < 0 || (lv == (unsigned long)-1 && PyErr_Occurred())) {
            Py_DECREF(level);
            return -1;
        }
        in->has_level = 1;
        in->vad = vad;
        in->level = lv;
    }
    Py_DECREF(level);
    v = PyObject_GetAttr(packet, s_payload);
    if (v == NULL)
        return -1;
    if (!PyBytes_Check(v)) {
        Py_DECREF(v);
        PyErr_SetString(PyExc_TypeError, "payload must be bytes");
        return -1;
    }
    int r = PyObject_GetBuffer(v, &in->payload, PyBUF_SIMPLE);
    Py_DECREF(v); /* the buffer keeps its own reference */
    return r;
}

/* Sends the queued messages: one sendmmsg per socket. */
static void
flush(Outgoing *msgs, Py_ssize_t count)
{
    if (count == 0)
        return;
    struct mmsghdr *hdrs = PyMem_Calloc(count, sizeof(struct mmsghdr));
    struct iovec *iovs = PyMem_Calloc(count, sizeof(struct iovec));
    char *done = PyMem_Calloc(count, 1);
    SinkObject **owners = PyMem_Calloc(count, sizeof(SinkObject *));
    if (hdrs == NULL || iovs == NULL || done == NULL || owners == NULL) {
        PyMem_Free(hdrs);
        PyMem_Free(iovs);
        PyMem_Free(done);
        PyMem_Free(owners);
        return; /* out of memory: the packets are lost, as on a full socket */
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        if (done[i])
            continue;
        int fd = msgs[i].fd;
        unsigned int n = 0;
        for (Py_ssize_t j = i; j < count; j++) {
            if (done[j] || msgs[j].fd != fd)
                continue;
            done[j] = 1;
            iovs[n].iov_base = msgs[j].buf;
            iovs[n].iov_len = (size_t)msgs[j].len;
            memset(&hdrs[n], 0, sizeof(hdrs[n]));
            hdrs[n].msg_hdr.msg_name = &msgs[j].sink->addr;
            hdrs[n].msg_hdr.msg_namelen = msgs[j].sink->addrlen;
            hdrs[n].msg_hdr.msg_iov = &iovs[n];
            hdrs[n].msg_hdr.msg_iovlen = 1;
            owners[n] = msgs[j].sink;
            n++;
        }
        unsigned int at = 0;
        while (at < n) {
            int r;
            Py_BEGIN_ALLOW_THREADS
            r = sendmmsg(fd, hdrs + at, n - at, MSG_DONTWAIT);
            Py_END_ALLOW_THREADS
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                owners[at]->send_errors++; /* skip the message the kernel refused */
                at++;
                continue;
            }
            for (int k = 0; k < r; k++)
                owners[at + k]->sent++;
            at += (unsigned int)r;
        }
    }
    PyMem_Free(hdrs);
    PyMem_Free(iovs);
    PyMem_Free(done);
    PyMem_Free(owners);
}

static PyObject *
fan_out(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 && nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "fan_out(packet, legs[, layer])");
        return NULL;
    }
    PyObject *layer_obj = nargs == 3 ? args[2] : NULL;
    long layer = 0;
    if (layer_obj != NULL) {
        if (!PyLong_Check(layer_obj)) {
            PyErr_SetString(PyExc_TypeError, "fan_out: layer must be an int");
            return NULL;
        }
        layer = PyLong_AsLong(layer_obj);
        if (layer == -1 && PyErr_Occurred())
            return NULL;
    }
    PyObject *packet = args[0];
    PyObject *legs = PySequence_Fast(args[1], "legs must be a sequence");
    if (legs == NULL)
        return NULL;
    Ingress in;
    if (read_ingress(packet, &in) < 0) {
        Py_DECREF(legs);
        return NULL;
    }
    Py_ssize_t count = PySequence_Fast_GET_SIZE(legs);
    Outgoing *msgs = count ? PyMem_Calloc(count, sizeof(Outgoing)) : NULL;
    if (count && msgs == NULL) {
        PyBuffer_Release(&in.payload);
        Py_DECREF(legs);
        return PyErr_NoMemory();
    }
    unsigned long long now = ntp_now();
    Py_ssize_t queued = 0;
    /* Sinks are kept alive until the flush (a hook could drop a leg's reference). */
    PyObject *keep = PyList_New(0);
    if (keep == NULL) {
        PyMem_Free(msgs);
        PyBuffer_Release(&in.payload);
        Py_DECREF(legs);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *leg = PySequence_Fast_GET_ITEM(legs, i);
        int vp8_ids = 0;
        Py_INCREF(leg);
        int active = get_truth(leg, s_active);
        int paused = active > 0 ? get_truth(leg, s_paused) : 0;
        if (active < 0 || paused < 0) {
            report_error(leg, packet);
            Py_DECREF(leg);
            continue;
        }
        if (!active || paused) {
            Py_DECREF(leg);
            continue;
        }
        if (layer_obj != NULL) {
            int route = layer_route(leg, layer);
            if (route != 1) {
                if (route == 0)
                    write_in_python(leg, packet, layer_obj);
                else if (route == -2)
                    report_error(leg, packet);
                Py_DECREF(leg);
                continue;
            }
            vp8_ids = get_truth(leg, s_vp8_ids);
            if (vp8_ids < 0) {
                report_error(leg, packet);
                Py_DECREF(leg);
                continue;
            }
        }
        PyObject *sink = leg_get(leg, s_sink);
        if (sink != NULL && !PyObject_TypeCheck(sink, &SinkType) && adopt_hook != NULL) {
            Py_DECREF(sink);
            PyObject *r = PyObject_CallOneArg(adopt_hook, leg);
            Py_XDECREF(r);
            sink = r ? leg_get(leg, s_sink) : NULL;
        }
        if (sink == NULL) {
            report_error(leg, packet);
            Py_DECREF(leg);
            continue;
        }
        int started = get_truth(leg, s_started);
        if (started < 0) {
            Py_DECREF(sink);
            report_error(leg, packet);
            Py_DECREF(leg);
            continue;
        }
        if (!started || !PyObject_TypeCheck(sink, &SinkType)) {
            Py_DECREF(sink);
            write_in_python(leg, packet, layer_obj);
            Py_DECREF(leg);
            continue;
        }
        if (PyList_Append(keep, sink) < 0) {
            Py_DECREF(sink);
            report_error(leg, packet);
            Py_DECREF(leg);
            continue;
        }
        int r = write_leg(leg, (SinkObject *)sink, &in, now, &msgs[queued], vp8_ids);
        Py_DECREF(sink);
        if (r < 0)
            report_error(leg, packet);
        else if (r > 0)
            queued++;
        Py_DECREF(leg);
    }
    flush(msgs, queued);
    for (Py_ssize_t i = 0; i < queued; i++)
        PyMem_Free(msgs[i].buf);
    PyMem_Free(msgs);
    Py_DECREF(keep);
    PyBuffer_Release(&in.payload);
    Py_DECREF(legs);
    return PyLong_FromSsize_t(queued);
}


/* ------------------------------------------------------------------ ingress */

#define RECV_BATCH 32
#define RECV_SIZE 65536

static unsigned char recv_bufs[RECV_BATCH][RECV_SIZE];

static PyObject *
address_tuple(const struct sockaddr_storage *ss)
{
    char host[INET6_ADDRSTRLEN];
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        if (inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host)) == NULL)
            return NULL;
        return Py_BuildValue("(si)", host, (int)ntohs(a->sin_port));
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        if (inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host)) == NULL)
            return NULL;
        return Py_BuildValue("(si)", host, (int)ntohs(a->sin6_port));
    }
    Py_RETURN_NONE;
}

/* Whether the source address `ss` is the peer (`family` AF_INET/AF_INET6, `addr` 4/16 bytes). */
static int
is_peer(const struct sockaddr_storage *ss, int family, const unsigned char *addr, int port)
{
    if (family == AF_INET && ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        return ntohs(a->sin_port) == port && memcmp(&a->sin_addr, addr, 4) == 0;
    }
    if (family == AF_INET6 && ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        return ntohs(a->sin6_port) == port && memcmp(&a->sin6_addr, addr, 16) == 0;
    }
    return 0;
}

/*
 * receive(fd, session, host, port, max) -> list
 *
 * Reads up to `max` datagrams waiting on `fd` (recvmmsg, MSG_DONTWAIT; an
 * empty list when none). A datagram that is SRTP (first byte 128-191, not
 * RTCP: second byte outside 192-208, as aiortc's is_rtcp), at least 12 bytes,
 * from exactly (host, port) is unprotected with `session` (an inbound
 * Session) and its plaintext is the list item (bytes); one that fails to
 * unprotect is dropped, as aiortc drops it. Every other datagram (STUN, DTLS,
 * SRTCP, any other source, or all of them when `session` is None) is a
 * (bytes, (host, port)) item for the Python path. Errors other than
 * EAGAIN/EINTR raise OSError.
 */
static PyObject *
receive(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "receive(fd, session, host, port, max)");
        return NULL;
    }
    long fdl = PyLong_AsLong(args[0]);
    if (fdl == -1 && PyErr_Occurred())
        return NULL;
    if (fdl < 0 || fdl > 0x7fffffffL) {
        PyErr_SetString(PyExc_ValueError, "bad file descriptor");
        return NULL;
    }
    int fd = (int)fdl;
    SessionObject *session = NULL;
    if (args[1] != Py_None) {
        if (!PyObject_TypeCheck(args[1], &SessionType)) {
            PyErr_SetString(PyExc_TypeError, "session must be a Session or None");
            return NULL;
        }
        session = (SessionObject *)args[1];
        if (session->srtp == NULL || !session->inbound) {
            PyErr_SetString(PyExc_ValueError, "session must be an initialised inbound Session");
            return NULL;
        }
    }
    unsigned char peer[16];
    int family = 0;
    int port = 0;
    if (session != NULL) {
        if (!PyUnicode_Check(args[2])) {
            PyErr_SetString(PyExc_TypeError, "host must be a str");
            return NULL;
        }
        const char *host = PyUnicode_AsUTF8(args[2]);
        if (host == NULL)
            return NULL;
        long p = PyLong_AsLong(args[3]);
        if (p == -1 && PyErr_Occurred())
            return NULL;
        if (p < 0 || p > 65535) {
            PyErr_SetString(PyExc_ValueError, "port out of range");
            return NULL;
        }
        port = (int)p;
        if (inet_pton(AF_INET, host, peer) == 1)
            family = AF_INET;
        else if (inet_pton(AF_INET6, host, peer) == 1)
            family = AF_INET6;
        else
            session = NULL; /* not a numeric address: nothing is the peer */
    }
    long max = PyLong_AsLong(args[4]);
    if (max == -1 && PyErr_Occurred())
        return NULL;
    if (max < 1 || max > RECV_BATCH)
        max = RECV_BATCH;

    struct mmsghdr msgs[RECV_BATCH];
    struct iovec iov[RECV_BATCH];
    struct sockaddr_storage from[RECV_BATCH];
    memset(msgs, 0, sizeof(msgs[0]) * max);
    for (long i = 0; i < max; i++) {
        iov[i].iov_base = recv_bufs[i];
        iov[i].iov_len = RECV_SIZE;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
    }
    int got;
    do {
        got = recvmmsg(fd, msgs, (unsigned int)max, MSG_DONTWAIT, NULL);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return PyList_New(0);
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    for (int i = 0; i < got; i++) {
        unsigned char *buf = recv_bufs[i];
        int len = (int)msgs[i].msg_len;
        if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
            continue; /* larger than any datagram the SFU takes (64 KiB) */
        PyObject *item;
        if (session != NULL && len >= 12 && buf[0] > 127 && buf[0] < 192 &&
            !(buf[1] >= 192 && buf[1] <= 208) &&
            is_peer(&from[i], family, peer, port)) {
            int n = session_unprotect(session, buf, len);
            if (n < 0)
                continue; /* aiortc drops what fails to unprotect */
            item = PyBytes_FromStringAndSize((char *)buf, n);
        } else {
            PyObject *addr = address_tuple(&from[i]);
            if (addr == NULL) {
                Py_DECREF(out);
                return NULL;
            }
            item = Py_BuildValue("(y#N)", (char *)buf, (Py_ssize_t)len, addr);
        }
        if (item == NULL || PyList_Append(out, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(item);
    }
    return out;
}

static PyObject *
configure(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *adopt, *on_error;
    if (!PyArg_ParseTuple(args, "OO", &adopt, &on_error))
        return NULL;
    if (!PyCallable_Check(adopt) || !PyCallable_Check(on_error)) {
        PyErr_SetString(PyExc_TypeError, "configure(adopt, on_error) takes two callables");
        return NULL;
    }
    Py_INCREF(adopt);
    Py_XSETREF(adopt_hook, adopt);
    Py_INCREF(on_error);
    Py_XSETREF(error_hook, on_error);
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"fan_out", (PyCFunction)(void (*)(void))fan_out, METH_FASTCALL,
     "fan_out(packet, legs[, layer]) -> packets queued natively: rewrite, protect and send "
     "every leg (of a simulcast layer: every leg forwarding it)."},
    {"configure", configure, METH_VARARGS, "configure(adopt, on_error): the Python hooks."},
    {"receive", (PyCFunction)(void (*)(void))receive, METH_FASTCALL,
     "receive(fd, session, host, port, max) -> [plaintext RTP bytes | (datagram, address)]."},
    {NULL}};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "sfu.native._fanout", "The SFU's native egress fan-out.", -1,
    module_methods};

#define INTERN(var, text)                                                                          \
    do {                                                                                           \
        var = PyUnicode_InternFromString(text);                                                    \
        if (var == NULL)                                                                           \
            return NULL;                                                                           \
    } while (0)

PyMODINIT_FUNC
PyInit__fanout(void)
{
    if (!srtp_ready) {
        if (srtp_init() != srtp_err_status_ok) {
            PyErr_SetString(PyExc_ImportError, "srtp_init failed");
            return NULL;
        }
        srtp_ready = 1;
    }
    INTERN(s_active, "_active");
    INTERN(s_paused, "paused");
    INTERN(s_started, "_started");
    INTERN(s_sink, "_sink");
    INTERN(s_write, "write");
    INTERN(s_layer, "layer");
    INTERN(s_target_layer, "target_layer");
    INTERN(s_first_in_seq, "_first_in_seq");
    INTERN(s_seq_offset, "_seq_offset");
    INTERN(s_ts_offset, "_ts_offset");
    INTERN(s_last_out_seq, "_last_out_seq");
    INTERN(s_pt, "_pt");
    INTERN(s_leg_ssrc, "_leg_ssrc");
    INTERN(s_static_ext, "_static_ext");
    INTERN(s_abs_id, "_abs_id");
    INTERN(s_ext_prefix, "_ext_prefix");
    INTERN(s_ext_suffix, "_ext_suffix");
    INTERN(s_level_id, "_level_id");
    INTERN(s_mid_element, "_mid_element");
    INTERN(s_history, "_history");
    INTERN(s_mask, "_mask");
    INTERN(s_packets_sent, "packets_sent");
    INTERN(s_sent_ntp, "_sent_ntp");
    INTERN(s_resends, "_resends");
    INTERN(s_last_out_ts, "_last_out_ts");
    INTERN(s_last_sent_ntp, "_last_sent_ntp");
    INTERN(s_octets_sent, "octets_sent");
    INTERN(s_sequence_number, "sequence_number");
    INTERN(s_timestamp, "timestamp");
    INTERN(s_marker, "marker");
    INTERN(s_payload, "payload");
    INTERN(s_padding_size, "padding_size");
    INTERN(s_extensions, "extensions");
    INTERN(s_audio_level, "audio_level");
    INTERN(s_fileno, "fileno");
    INTERN(s_vp8_ids, "_vp8_ids");
    INTERN(s_pic_offset, "_pic_offset");
    INTERN(s_tl0_offset, "_tl0_offset");
    INTERN(s_last_pic, "_last_pic");
    INTERN(s_last_tl0, "_last_tl0");
    one = PyLong_FromLong(1);
    zero = PyLong_FromLong(0);
    if (one == NULL || zero == NULL)
        return NULL;
    if (PyType_Ready(&SessionType) < 0 || PyType_Ready(&SinkType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
    Py_INCREF(&SessionType);
    Py_INCREF(&SinkType);
    if (PyModule_AddObject(m, "Session", (PyObject *)&SessionType) < 0 ||
        PyModule_AddObject(m, "Sink", (PyObject *)&SinkType) < 0 ||
        PyModule_AddIntConstant(m, "MAX_TRAILER", SRTP_MAX_TRAILER_LEN) < 0 ||
        PyModule_AddIntConstant(m, "RECV_BATCH", RECV_BATCH) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
