#!/bin/bash
# systemctl for the packaging test's Debian root, where no systemd runs (the
# machine cannot boot one). The packages' maintainer scripts call it as they
# would call systemd's (through deb-systemd-invoke, once /run/systemd/system
# exists), and it does for signet-milter.service what systemd would do with
# the installed unit file, read from that file:
#   start    honours ConditionPathExistsGlob= (unmet: not started, exit 0),
#            makes RuntimeDirectory= with RuntimeDirectoryMode= for
#            User=:Group=, runs ExecStartPre= then ExecStart= as User=:Group=
#            (setpriv), with NOTIFY_SOCKET=/run/standin-notify.sock, and
#            waits up to 20 s for the local socket named in signet.conf
#   stop     SIGTERM to the main process, waits for it to end (90 s)
#   restart  stop, then start; reload: SIGHUP
#   enable, preset (deb-systemd-helper's way of enabling), disable: the
#            links of [Install] WantedBy=
#   is-active, is-enabled (the multi-user.target.wants link)
# Every call is logged in /var/log/systemctl-standin.log; other units and
# commands are logged and succeed. Not emulated: the sandboxing settings,
# which `systemd-analyze verify` checks instead.
log=/var/log/systemctl-standin.log
state=/run/systemctl-standin
mkdir -p "$state"
echo "systemctl $*" >>"$log"

action=
units=
for arg in "$@"; do
  case "$arg" in
    -*) ;;
    *) if [ -z "$action" ]; then action=$arg; else units="$units $arg"; fi ;;
  esac
done

unit_file() {
  for dir in /etc/systemd/system /lib/systemd/system; do
    if [ -f "$dir/$1" ]; then echo "$dir/$1"; return 0; fi
  done
  return 1
}
value() { sed -n "s/^$2=//p" "$1" | tail -n 1; }
main_pid() { cat "$state/$1.pid" 2>/dev/null; }
running() { pid=$(main_pid "$1") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

start() {
  file=$(unit_file "$1") || { echo "Unit $1 not found." >&2; return 5; }
  running "$1" && return 0
  glob=$(value "$file" ConditionPathExistsGlob)
  if [ -n "$glob" ] && ! ls -d $glob >/dev/null 2>&1; then
    echo "  condition ConditionPathExistsGlob=$glob not met: $1 not started" >>"$log"
    return 0
  fi
  user=$(value "$file" User)
  group=$(value "$file" Group)
  as_user="setpriv --reuid=$user --regid=$group --init-groups --inh-caps=-all --"
  runtime=$(value "$file" RuntimeDirectory)
  [ -n "$runtime" ] && install -d -o "$user" -g "$group" -m "$(value "$file" RuntimeDirectoryMode)" "/run/$runtime"
  pre=$(value "$file" ExecStartPre)
  if [ -n "$pre" ] && ! $as_user $pre >>"/var/log/$1.log" 2>&1; then
    echo "  ExecStartPre=$pre failed" >>"$log"
    return 1
  fi
  exec_start=$(value "$file" ExecStart)
  # The daemon keeps no descriptor of its caller (dpkg's, apt's) but the log.
  (for fd in $(ls /proc/$BASHPID/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done 2>/dev/null
   exec setsid env NOTIFY_SOCKET=/run/standin-notify.sock $as_user $exec_start </dev/null >>"/var/log/$1.log" 2>&1) &
  echo $! >"$state/$1.pid"
  echo "  started $1 as $user:$group, main pid $!: $exec_start" >>"$log"
  socket=$(sed -n 's/^Socket[[:space:]]*local://p' /etc/signet/signet.conf | tail -n 1)
  for _ in $(seq 200); do
    running "$1" || { echo "  $1 exited" >>"$log"; return 1; }
    [ -z "$socket" ] || [ -S "$socket" ] && return 0
    sleep 0.1
  done
  echo "  $1 made no socket $socket within 20 s" >>"$log"
  return 1
}

stop() {
  running "$1" || { rm -f "$state/$1.pid"; return 0; }
  pid=$(main_pid "$1")
  kill -TERM "$pid"
  for _ in $(seq 900); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"
    echo "  $1 (pid $pid) killed after 90 s" >>"$log"
  else
    echo "  stopped $1 (pid $pid)" >>"$log"
  fi
  rm -f "$state/$1.pid"
}

status=0
case "$action" in
  --version|"") echo "systemd 252 (packaging test stand-in)"; exit 0 ;;
esac
for unit in $units; do
  case "$unit" in *.service) ;; *) unit=$unit.service ;; esac
  if [ "$unit" != signet-milter.service ]; then
    echo "  (not emulated: $action $unit)" >>"$log"
    case "$action" in is-active) echo inactive; status=3 ;; is-enabled) echo disabled; status=1 ;; esac
    continue
  fi
  case "$action" in
    start) start "$unit" || status=$? ;;
    stop) stop "$unit" ;;
    restart|try-restart) stop "$unit"; start "$unit" || status=$? ;;
    reload) running "$unit" && kill -HUP "$(main_pid "$unit")" || status=1 ;;
    is-active) if running "$unit"; then echo active; else echo inactive; status=3; fi ;;
    enable|preset|reenable)
      file=$(unit_file "$unit") && for target in $(value "$file" WantedBy); do
        mkdir -p "/etc/systemd/system/$target.wants"
        ln -sf "$file" "/etc/systemd/system/$target.wants/$unit"
        echo "  enabled $unit ($target)" >>"$log"
      done ;;
    disable)
      rm -f /etc/systemd/system/*.wants/"$unit"
      echo "  disabled $unit" >>"$log" ;;
    is-enabled)
      if [ -L "/etc/systemd/system/multi-user.target.wants/$unit" ]; then echo enabled; else echo disabled; status=1; fi ;;
    *) ;;
  esac
done
exit $status
