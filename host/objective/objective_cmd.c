/* objective_cmd.c: the command objective. Each job starts the program (fork + exec, in its own process group, with
 * a parent-death signal: SIGKILL when the thread that started it dies, e.g. tunebench killed)
 * with the configuration as JSON on stdin (tb_space_format_json) and in the environment (TB_PARAM_<NAME>=value,
 * NAME upper-cased with other characters as '_'; categoricals as their label; inactive parameters unset), plus
 * TB_TRIAL_ID, TB_SEED, TB_FIDELITY (the target) and TB_FIDELITY_FROM. It reads stdout lines:
 *   `step=S value=V`   an intermediate value at fidelity S (reported to the scheduler, which may stop the program);
 *   `value=V`, `valueI=V` or `NAME=V` (without step=)   a final metric (several per line or per run).
 * Stopping (scheduler, timeout, study stop) sends SIGTERM to the group, then SIGKILL after the grace period. Once
 * the program has exited, its output is read for at most the grace period (0.2 s at most) more: a process it left
 * behind holding stdout (in the group or not) cannot hold the trial; the group is then killed. A program that
 * exited 0 after printing its final values is credited, whatever it left running.
 * A non-zero exit, a death by signal, a timeout or no final value is a failed trial whose reason keeps the last
 * 2 KiB of stderr. A job always starts the program afresh (no state is kept between jobs of one trial).
 * Not a shell: argv is run as given. Tested by tests/test_objective.c (scripts written at test time). */
#define _GNU_SOURCE /* pipe2, for close-on-exec pipes created atomically (other workers spawn too) */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "objective_impl.h"
#include "tb_error.h"

extern char **environ;

#define TAIL_MAX 2048
#define LINE_MAX_LEN 4096

typedef struct cmd_impl {
  char **argv;   /* owned copy */
  double timeout_s, grace_s;
} cmd_impl;

static void cmd_free(tb_objective *o) {
  cmd_impl *c = o->impl;
  if (!c) return;
  for (char **a = c->argv; a && *a; a++) free(*a);
  free(c->argv);
  free(c);
}

/* Environment: environ + the trial's variables (malloc'ed strings in vars[0..n)). */
static int build_env(const tb_objective *o, const tb_trial_run *run, char ***envp, char ***vars, int *n_vars) {
  size_t n_env = 0;
  while (environ[n_env]) n_env++;
  int d = tb_space_dim(o->space), nv = 0;
  char **v = calloc((size_t)d + 4, sizeof *v);
  char **e = calloc(n_env + (size_t)d + 5, sizeof *e);
  if (!v || !e) {
    free(v), free(e);
    return tb_error_set(TB_ERR_NOMEM, "command: out of host memory");
  }
  for (int i = 0; i < d; i++) {
    const tb_param *p = tb_space_param(o->space, i);
    double x = run->x[i];
    if (isnan(x)) continue;
    char name[TB_PARAM_NAME_MAX], val[256];
    size_t k = 0;
    for (; p->name[k] && k < sizeof name - 1; k++) {
      char ch = p->name[k];
      name[k] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) ? ch : '_';
    }
    name[k] = 0;
    if (p->type == TB_PARAM_CATEGORICAL && x >= 0 && x < p->n_choices)
      snprintf(val, sizeof val, "%s", p->choices[(int)x]);
    else if (p->type == TB_PARAM_INT)
      snprintf(val, sizeof val, "%lld", (long long)llround(x));
    else
      snprintf(val, sizeof val, "%.17g", x);
    size_t len = strlen(name) + strlen(val) + 16;
    if (!(v[nv] = malloc(len))) goto nomem;
    snprintf(v[nv++], len, "TB_PARAM_%s=%s", name, val);
  }
  char buf[128];
  snprintf(buf, sizeof buf, "TB_TRIAL_ID=%lld", (long long)run->trial);
  if (!(v[nv++] = strdup(buf))) goto nomem;
  snprintf(buf, sizeof buf, "TB_SEED=%llu", (unsigned long long)run->seed);
  if (!(v[nv++] = strdup(buf))) goto nomem;
  snprintf(buf, sizeof buf, "TB_FIDELITY=%.17g", run->fidelity_to);
  if (!(v[nv++] = strdup(buf))) goto nomem;
  snprintf(buf, sizeof buf, "TB_FIDELITY_FROM=%.17g", run->fidelity_from);
  if (!(v[nv++] = strdup(buf))) goto nomem;
  size_t ne = 0;
  for (size_t i = 0; i < n_env; i++)
    if (strncmp(environ[i], "TB_PARAM_", 9) && strncmp(environ[i], "TB_TRIAL_ID=", 12) &&
        strncmp(environ[i], "TB_SEED=", 8) && strncmp(environ[i], "TB_FIDELITY", 11))
      e[ne++] = environ[i];
  for (int i = 0; i < nv; i++) e[ne++] = v[i];
  *envp = e, *vars = v, *n_vars = nv;
  return TB_OK;
nomem:
  for (int i = 0; i < nv; i++) free(v[i]);
  free(v), free(e);
  return tb_error_set(TB_ERR_NOMEM, "command: out of host memory");
}

/* Parses one stdout line; reports step values. A step=, value= or metric token whose number is malformed
 * ("value=1.5abc") is recorded in bad (the first one) and fails the trial: a half-read number is never credited. */
static int parse_line(tb_objective *o, tb_trial_run *run, char *line, double t0, int *stop, int *got_final,
                      char *bad, size_t bad_len) {
  double step = NAN, value = NAN;
  int has_step = 0, has_value = 0;
  char *save = NULL;
  for (char *tok = strtok_r(line, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
    char *eq = strchr(tok, '=');
    if (!eq) continue;
    *eq = 0;
    char *end;
    double x = strtod(eq + 1, &end);
    int known = !strcmp(tok, "step") || !strcmp(tok, "value") ||
                (!strncmp(tok, "value", 5) && tok[5] >= '0' && tok[5] <= '9') || tb_objective_metric_find(o, tok) >= 0;
    if (known && (end == eq + 1 || *end)) {
      if (!bad[0]) snprintf(bad, bad_len, "stdout: '%s=%.64s' is not a number (print %s=V, V a plain number)", tok,
                            eq + 1, tok);
      continue;
    }
    if (end == eq + 1) continue; /* not a number: ignored */
    if (!strcmp(tok, "step")) {
      step = x, has_step = 1;
      continue;
    }
    int idx = -1;
    if (!strcmp(tok, "value")) idx = 0;
    else if (!strncmp(tok, "value", 5) && tok[5] >= '0' && tok[5] <= '9') idx = atoi(tok + 5);
    else idx = tb_objective_metric_find(o, tok);
    if (idx < 0 || idx >= o->n_metrics) continue;
    if (idx == 0) value = x, has_value = 1;
    if (!has_step) {
      run->metrics[idx] = x;
      *got_final |= 1 << idx;
    }
  }
  if (has_step && has_value) {
    if (!(step > run->fidelity)) return TB_OK; /* not increasing: ignored */
    run->fidelity = step;
    run->last_value = value;
    if (run->report) return run->report(run->rctx, step, value, NAN, tb_objective_now() - t0, stop);
  }
  return TB_OK;
}

static void append_tail(char *tail, size_t *n, const char *buf, size_t len) {
  if (len >= TAIL_MAX) {
    memcpy(tail, buf + len - TAIL_MAX, TAIL_MAX);
    *n = TAIL_MAX;
  } else {
    if (*n + len > TAIL_MAX) {
      size_t drop = *n + len - TAIL_MAX;
      memmove(tail, tail + drop, *n - drop);
      *n -= drop;
    }
    memcpy(tail + *n, buf, len);
    *n += len;
  }
}

/* The child side of fork: only async-signal-safe calls until exec; an exec failure's errno goes to fd_exec. */
static void child_exec(char **argv, char **envp, const int fd[3], int fd_exec, pid_t parent) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127); /* the parent died before the death signal was set */
  for (int i = 0; i < 3; i++)
    if (dup2(fd[i], i) < 0) _exit(127);
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  int sigs[5] = {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT};
  for (int i = 0; i < 5; i++) sigaction(sigs[i], &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execvpe(argv[0], argv, envp);
  int e = errno;
  if (write(fd_exec, &e, sizeof e) < 0) _exit(127);
  _exit(127);
}

static int cmd_run(tb_objective *o, tb_trial_run *run) {
  cmd_impl *c = o->impl;
  int rc = TB_OK, fd_in[2] = {-1, -1}, fd_out[2] = {-1, -1}, fd_err[2] = {-1, -1}, fd_exec[2] = {-1, -1};
  int n_vars = 0, spawned = 0, exited = 0;
  char **envp = NULL, **vars = NULL, *json = NULL;
  char tail[TAIL_MAX + 1], line[LINE_MAX_LEN], bad[160] = "";
  size_t n_tail = 0, n_line = 0, json_len = 0, json_off = 0;
  pid_t pid = -1;
  int status = 0, stop = 0, got_final = 0, timed_out = 0, killed_at = 0;
  double t0 = tb_objective_now(), term_time = 0, exit_time = 0;
  double drain_s = c->grace_s < 0.2 ? c->grace_s : 0.2; /* reading on after the program exited */

  size_t need = tb_space_format_json(o->space, run->x, NULL, 0);
  if (!(json = malloc(need + 2))) TB_FAIL(TB_ERR_NOMEM, "command: out of host memory");
  tb_space_format_json(o->space, run->x, json, need + 1);
  json_len = strlen(json);
  json[json_len++] = '\n';
  TB_TRY(build_env(o, run, &envp, &vars, &n_vars));
  /* stdin is a socket so that writing to a program that exited is EPIPE without SIGPIPE (MSG_NOSIGNAL) */
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd_in) || pipe2(fd_out, O_CLOEXEC) ||
      pipe2(fd_err, O_CLOEXEC) || pipe2(fd_exec, O_CLOEXEC))
    TB_FAIL(TB_ERR_IO, "command: pipe: %s", strerror(errno));
  pid_t parent = getpid();
  pid = fork();
  if (pid < 0) {
    rc = tb_objective_run_fail(run, TB_TRIAL_FAILED, "command '%s' could not start: fork: %s", c->argv[0],
                               strerror(errno));
    goto done;
  }
  if (pid == 0) child_exec(c->argv, envp, (int[3]){fd_in[0], fd_out[1], fd_err[1]}, fd_exec[1], parent);
  setpgid(pid, pid); /* also here, so that kill(-pid) reaches it whichever runs first */
  spawned = 1;
  close(fd_in[0]), close(fd_out[1]), close(fd_err[1]), close(fd_exec[1]);
  fd_in[0] = fd_out[1] = fd_err[1] = fd_exec[1] = -1;
  int err = 0;
  ssize_t got;
  while ((got = read(fd_exec[0], &err, sizeof err)) < 0 && errno == EINTR) {}
  if (got == (ssize_t)sizeof err) {
    rc = tb_objective_run_fail(run, TB_TRIAL_FAILED, "command '%s' could not start: %s", c->argv[0], strerror(err));
    goto done;
  }
  fcntl(fd_in[1], F_SETFL, O_NONBLOCK);

  int open_out = 1, open_err = 1;
  while (open_out || open_err) {
    double now = tb_objective_now();
    if (!exited) {
      siginfo_t si;
      si.si_pid = 0;
      if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) exited = 1, exit_time = now;
    } else if (now - exit_time > drain_s) {
      break; /* what is left holding the output is killed below; the program's own result stands */
    }
    if (!killed_at && !exited) {
      int why = stop ? 1 : (run->interrupt && *run->interrupt) ? 2 : (c->timeout_s > 0 && now - t0 > c->timeout_s) ? 3 : 0;
      if (why) {
        if (why == 3) timed_out = 1;
        if (why == 2) run->status = TB_TRIAL_INTERRUPTED;
        kill(-pid, SIGTERM);
        killed_at = 1, term_time = now;
      }
    } else if (killed_at == 1 && now - term_time > c->grace_s) {
      kill(-pid, SIGKILL);
      killed_at = 2;
    }
    struct pollfd p[3];
    int np = 0, i_out = -1, i_err = -1, i_in = -1;
    if (open_out) p[np] = (struct pollfd){fd_out[0], POLLIN, 0}, i_out = np++;
    if (open_err) p[np] = (struct pollfd){fd_err[0], POLLIN, 0}, i_err = np++;
    if (fd_in[1] >= 0) p[np] = (struct pollfd){fd_in[1], POLLOUT, 0}, i_in = np++;
    if (poll(p, (nfds_t)np, 50) < 0 && errno != EINTR) TB_FAIL(TB_ERR_IO, "command: poll: %s", strerror(errno));
    if (i_in >= 0 && p[i_in].revents) {
      ssize_t w = (p[i_in].revents & POLLOUT) ? send(fd_in[1], json + json_off, json_len - json_off, MSG_NOSIGNAL) : -1;
      if (w > 0) json_off += (size_t)w;
      if (w < 0 || json_off >= json_len) { /* a program that ignores stdin is fine */
        shutdown(fd_in[1], SHUT_WR);
        close(fd_in[1]);
        fd_in[1] = -1;
      }
    }
    char buf[4096];
    if (i_err >= 0 && p[i_err].revents) {
      ssize_t r = read(fd_err[0], buf, sizeof buf);
      if (r > 0) append_tail(tail, &n_tail, buf, (size_t)r);
      else if (r == 0 || errno != EINTR) open_err = 0;
    }
    if (i_out >= 0 && p[i_out].revents) {
      ssize_t r = read(fd_out[0], buf, sizeof buf);
      if (r <= 0 && (r == 0 || errno != EINTR)) open_out = 0;
      for (ssize_t i = 0; i < r; i++) {
        if (buf[i] == '\n' || n_line == sizeof line - 1) {
          line[n_line] = 0;
          n_line = 0;
          if (!killed_at || stop) TB_TRY(parse_line(o, run, line, t0, &stop, &got_final, bad, sizeof bad));
        } else {
          line[n_line++] = buf[i];
        }
      }
    }
  }
  if (n_line) {
    line[n_line] = 0;
    TB_TRY(parse_line(o, run, line, t0, &stop, &got_final, bad, sizeof bad));
  }
  kill(-pid, SIGKILL); /* what the program left running in its group */
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  spawned = 0;
  tail[n_tail] = 0;
  for (size_t i = 0; i < n_tail; i++)
    if (tail[i] == '\n' && i + 1 < n_tail) tail[i] = ' ';
  if (n_tail && tail[n_tail - 1] == '\n') tail[n_tail - 1] = 0;
  if (run->status == TB_TRIAL_INTERRUPTED) {
    rc = tb_objective_run_fail(run, TB_TRIAL_INTERRUPTED, "study stopped");
  } else if (stop) {
    run->status = TB_TRIAL_PRUNED;
    run->metrics[0] = run->last_value;
  } else if (timed_out) {
    rc = tb_objective_run_fail(run, TB_TRIAL_FAILED, "timeout after %g s; stderr: %s", c->timeout_s, tail);
  } else if (WIFSIGNALED(status)) {
    rc = tb_objective_run_fail(run, TB_TRIAL_FAILED, "killed by signal %d (%s); stderr: %s", WTERMSIG(status),
                               strsignal(WTERMSIG(status)), tail);
  } else if (WIFEXITED(status) && WEXITSTATUS(status)) {
    rc = tb_objective_run_fail(run, TB_TRIAL_FAILED, "exit status %d; stderr: %s", WEXITSTATUS(status), tail);
  } else if (bad[0]) {
    rc = tb_objective_run_fail(run, TB_TRIAL_FAILED, "%s", bad);
  } else if (!got_final) {
    rc = tb_objective_run_fail(run, TB_TRIAL_FAILED, "no final value= line on stdout; stderr: %s", tail);
  } else {
    run->fidelity = run->fidelity_to;
    for (int i = 0; i < o->n_metrics; i++) {
      if (!(got_final & (1 << i))) {
        rc = tb_objective_run_fail(run, TB_TRIAL_FAILED, "metric '%s' was not printed (%s=V or value%d=V)", o->names[i],
                                   o->names[i], i);
        break;
      }
      if (!isfinite(run->metrics[i])) {
        rc = tb_objective_run_fail(run, TB_TRIAL_DIVERGED, "metric '%s' is %g", o->names[i], run->metrics[i]);
        break;
      }
    }
  }
done:
  if (spawned) {
    kill(-pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  }
  int fds[8] = {fd_in[0], fd_in[1], fd_out[0], fd_out[1], fd_err[0], fd_err[1], fd_exec[0], fd_exec[1]};
  for (int i = 0; i < 8; i++)
    if (fds[i] >= 0) close(fds[i]);
  for (int i = 0; i < n_vars; i++) free(vars[i]);
  free(vars), free(envp), free(json);
  return rc;
}

const tb_objective_vt tb_objective_cmd_vt = {cmd_run, cmd_free};

int tb_objective_command(const tb_space *sp, const tb_objective_command_params *p, tb_objective **out) {
  int rc = TB_OK;
  tb_objective *o = NULL;
  if (!out) return tb_error_set(TB_ERR_INVALID, "command objective: NULL output");
  *out = NULL;
  if (!sp || !p || !p->argv || !p->argv[0] || !*p->argv[0])
    return tb_error_set(TB_ERR_INVALID, "command objective: no program given");
  if (!(p->timeout_s >= 0) || !(p->kill_grace_s >= 0))
    return tb_error_set(TB_ERR_INVALID, "command objective: negative timeout or grace period");
  if (p->n_metrics > 1 && !p->metric_names)
    return tb_error_set(TB_ERR_INVALID, "command objective: %d metrics need names", p->n_metrics);
  TB_TRY(tb_objective_alloc_common(TB_OBJECTIVE_COMMAND, &tb_objective_cmd_vt, (tb_space *)sp, 0,
                                   p->n_metrics ? p->n_metrics : 1, p->n_metrics ? p->metric_names : NULL, &o));
  cmd_impl *c = calloc(1, sizeof *c);
  if (!c) TB_FAIL(TB_ERR_NOMEM, "command objective: out of host memory");
  o->impl = c;
  c->timeout_s = p->timeout_s;
  c->grace_s = p->kill_grace_s > 0 ? p->kill_grace_s : 1.0;
  size_t n = 0;
  while (p->argv[n]) n++;
  if (!(c->argv = calloc(n + 1, sizeof *c->argv))) TB_FAIL(TB_ERR_NOMEM, "command objective: out of host memory");
  for (size_t i = 0; i < n; i++)
    if (!(c->argv[i] = strdup(p->argv[i]))) TB_FAIL(TB_ERR_NOMEM, "command objective: out of host memory");
  *out = o;
  o = NULL;
done:
  tb_objective_free(o);
  return rc;
}
