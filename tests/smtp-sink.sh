# tests/smtp-sink.sh - Postfix's smtp-sink as a throwaway SMTP server for
# shell tests.  Source it (". tests/smtp-sink.sh"), then:
#
#   sink_start DIR [smtp-sink options...]
#       Start smtp-sink on a free 127.0.0.1 port, writing each message it
#       receives to its own file in DIR (with X-Mail-Args: and X-Rcpt-Args:
#       headers holding the envelope).  Extra options change its answers,
#       e.g. "-f rcpt" (5xx to RCPT), "-r rcpt" (4xx), "-Q rcpt" (421 and
#       hang up); see smtp-sink(1).  Exports SINK_PORT and SINK_PID and
#       returns once the port accepts connections (non-zero if it never
#       does).  A SINK_PORT that is already set is used again, so a test can
#       restart the server where its configuration points.
#   sink_stop
#       Stop the server started last (harmless when none runs).  Call it
#       from an EXIT trap so that a failing test leaves nothing behind.
#
# Needs /usr/sbin/smtp-sink (Debian package postfix) and python3.

# sink_free_port: a TCP port on 127.0.0.1 that nobody listens on now.
sink_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# sink_listening PORT: true when something accepts connections on PORT.
sink_listening() {
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$1" 2>/dev/null
}

sink_start() {
	_sink_dir=$1
	shift
	if [ ! -x /usr/sbin/smtp-sink ]; then
		echo "# smtp-sink is not installed (Debian package postfix)" >&2
		return 1
	fi
	mkdir -p "$_sink_dir" || return 1
	chmod 777 "$_sink_dir"
	_sink_user=
	if [ "$(id -u)" = 0 ]; then
		# As root smtp-sink must drop to another user, who then has to
		# reach DIR: let others traverse (not read) the private mktemp
		# directories above it.
		_sink_user="-u nobody"
		_sink_up=$(cd "$_sink_dir" && pwd)
		while [ "$_sink_up" != / ]; do
			_sink_up=$(dirname "$_sink_up")
			[ -O "$_sink_up" ] && chmod o+x "$_sink_up" 2>/dev/null
		done
	fi
	SINK_PORT=${SINK_PORT:-$(sink_free_port)}
	# shellcheck disable=SC2086 # _sink_user is two words or none
	/usr/sbin/smtp-sink $_sink_user "$@" -d "$_sink_dir/%M." "127.0.0.1:$SINK_PORT" 256 &
	SINK_PID=$!
	export SINK_PORT SINK_PID
	_sink_i=0
	while [ $_sink_i -lt 100 ]; do
		sink_listening "$SINK_PORT" && return 0
		if ! kill -0 "$SINK_PID" 2>/dev/null; then
			echo "# smtp-sink exited at once (port $SINK_PORT taken?)" >&2
			SINK_PID=
			return 1
		fi
		sleep 0.05
		_sink_i=$((_sink_i + 1))
	done
	echo "# smtp-sink did not start on port $SINK_PORT" >&2
	sink_stop
	return 1
}

sink_stop() {
	if [ -n "${SINK_PID:-}" ]; then
		kill "$SINK_PID" 2>/dev/null
		wait "$SINK_PID" 2>/dev/null
	fi
	SINK_PID=
	return 0
}
