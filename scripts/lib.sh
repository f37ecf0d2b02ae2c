# Helpers the shell suites share. Source it: `source "$repo_root/scripts/lib.sh"`.
# shellcheck shell=bash

# wait_for_port PID PORT_FILE: once the server PID has written a whole port number to PORT_FILE
# (mcpgate's --port-file), prints it. Returns 1, printing nothing, when PID exits first or after
# 10 s. The file may exist before its contents are written, hence the check for a number.
wait_for_port() {
  local pid=$1 file=$2 port n
  for ((n = 0; n < 100; n++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -s $file ]]; then
      port=$(head -n 1 "$file" | tr -d '[:space:]')
      if [[ $port =~ ^[0-9]+$ ]] && ((port > 0)); then
        echo "$port"
        return 0
      fi
    fi
    sleep 0.1
  done
  return 1
}
