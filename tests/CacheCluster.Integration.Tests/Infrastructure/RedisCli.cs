using System.Text;

namespace CacheCluster.Integration.Tests.Infrastructure;

/// <summary>Runs the real redis-cli against a loopback port.</summary>
public static class RedisCli
{
    public static Task<ToolResult> RunAsync(int port, IEnumerable<string> args, byte[]? stdin = null, TimeSpan? timeout = null) =>
        ExternalTool.RunAsync("redis-cli", new[] { "-h", "127.0.0.1", "-p", port.ToString() }.Concat(args), stdin, timeout ?? TimeSpan.FromSeconds(30));

    public static Task<ToolResult> RunAsync(int port, params string[] args) => RunAsync(port, args, null);

    public static Task<ToolResult> RunWithStdinAsync(int port, string stdin, params string[] args) =>
        RunAsync(port, args, Encoding.UTF8.GetBytes(stdin));

    /// <summary>
    /// Drives an interactive redis-cli session on a pseudo-terminal (so redis-cli behaves as for a human: it fetches
    /// COMMAND DOCS for its help/hints at start). Each line is typed after the prompt appears; the transcript is returned.
    /// </summary>
    public static Task<ToolResult> RunInteractiveAsync(int port, IEnumerable<string> lines, TimeSpan? timeout = null) =>
        ExternalTool.RunAsync(ExternalTool.Python, new[] { "-c", PtyDriver, port.ToString() }.Concat(lines), null, timeout ?? TimeSpan.FromSeconds(40));

    private const string PtyDriver = """
import os, pty, select, sys, time
port = sys.argv[1]
lines = sys.argv[2:]
prompt = ("127.0.0.1:%s>" % port).encode()
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "dumb"
    os.environ["HOME"] = "/tmp"
    os.environ["REDISCLI_HISTFILE"] = "/dev/null"
    os.execvp("redis-cli", ["redis-cli", "-h", "127.0.0.1", "-p", port])
transcript = b""
def read_until(marker, timeout):
    global transcript
    deadline = time.time() + timeout
    start = len(transcript)
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if fd in r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return False
            if not chunk:
                return False
            transcript += chunk
            if marker in transcript[start:]:
                return True
    return False
ok = read_until(prompt, 15)
if not ok:
    sys.stdout.write(transcript.decode("utf-8", "replace"))
    sys.stdout.write("\n<<NO PROMPT>>\n")
    os.kill(pid, 9)
    sys.exit(3)
for line in lines:
    os.write(fd, line.encode() + b"\r")
    if not read_until(prompt, 15):
        sys.stdout.write(transcript.decode("utf-8", "replace"))
        sys.stdout.write("\n<<NO PROMPT AFTER %r>>\n" % line)
        os.kill(pid, 9)
        sys.exit(4)
os.write(fd, b"exit\r")
deadline = time.time() + 10
status = None
while time.time() < deadline:
    wpid, st = os.waitpid(pid, os.WNOHANG)
    if wpid == pid:
        status = st
        break
    r, _, _ = select.select([fd], [], [], 0.2)
    if fd in r:
        try:
            transcript += os.read(fd, 65536)
        except OSError:
            pass
sys.stdout.write(transcript.decode("utf-8", "replace"))
if status is None:
    os.kill(pid, 9)
    sys.stdout.write("\n<<redis-cli did not exit>>\n")
    sys.exit(5)
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
sys.stdout.write("\n<<exit %d>>\n" % code)
sys.exit(code)
""";
}
