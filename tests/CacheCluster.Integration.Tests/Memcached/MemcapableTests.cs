using System.Text.RegularExpressions;
using CacheCluster.Integration.Tests.Infrastructure;
using CacheCluster.Integration.Tests.Memcached.Harness;
using Xunit.Abstractions;

namespace CacheCluster.Integration.Tests.Memcached;

/// <summary>
/// libmemcached's conformance tool <c>memccapable</c> (Debian libmemcached-tools) against the node's memcached port,
/// binary (-b) and ascii (-a). Against a real memcached 1.6 every sub-test prints "[pass]" and the tool ends with
/// "All tests passed" and exit code 0; the node must produce exactly that. memccapable FLUSHes the server, so each
/// test gets its own node.
/// </summary>
public sealed class MemcapableTests
{
    private readonly ITestOutputHelper _out;

    public MemcapableTests(ITestOutputHelper output) => _out = output;

    private static readonly string[] BinaryTests =
    {
        "noop", "quit", "quitq", "set", "setq", "flush", "flushq", "add", "addq", "replace", "replaceq", "delete", "deleteq",
        "get", "getq", "getk", "getkq", "incr", "incrq", "decr", "decrq", "version", "append", "appendq", "prepend", "prependq", "stat",
    };

    private static readonly string[] AsciiTests =
    {
        "version", "quit", "verbosity", "set", "set noreply", "get", "gets", "mget", "flush", "flush noreply", "add", "add noreply",
        "replace", "replace noreply", "cas", "cas noreply", "delete", "delete noreply", "incr", "incr noreply", "decr", "decr noreply",
        "append", "append noreply", "prepend", "prepend noreply", "stat",
    };

    [Theory]
    [InlineData("-b", "binary")]
    [InlineData("-a", "ascii")]
    public async Task Memccapable_PassesClean(string flag, string family)
    {
        await using var server = await McSubject.StartAsync();
        var r = await ExternalTool.RunAsync("memccapable", new[] { "-h", "127.0.0.1", "-p", server.Port.ToString(), flag, "-v", "-t", "5" }, timeout: TimeSpan.FromSeconds(120));
        _out.WriteLine(r.Describe());
        var context = r.Describe() + "\n--- " + server.Name + " ---\n" + Tail(server.Describe());

        var expected = (family == "binary" ? BinaryTests : AsciiTests).Select(t => $"{family} {t}").ToList();
        var results = new Dictionary<string, string>();
        foreach (var line in r.StdoutLines)
        {
            var m = Regex.Match(line, @"^(.*?)\s+\[(pass|FAIL|skip)\]\s*$");
            if (m.Success) results[m.Groups[1].Value.Trim()] = m.Groups[2].Value;
        }
        var failed = results.Where(kv => kv.Value != "pass").Select(kv => $"{kv.Key}: {kv.Value}").ToList();
        var missing = expected.Where(t => !results.ContainsKey(t)).ToList();

        Assert.True(failed.Count == 0, $"memccapable {flag}: sub-tests not passing: {string.Join("; ", failed)}\n{context}");
        Assert.True(missing.Count == 0, $"memccapable {flag}: sub-tests that never reported a result: {string.Join("; ", missing)}\n{context}");
        Assert.True(r.ExitCode == 0, $"memccapable {flag} exit code {r.ExitCode}\n{context}");
        Assert.Contains("All tests passed", r.Stdout);
        Assert.DoesNotContain("FAIL", r.Stdout + r.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    private static string Tail(string s) => s.Length > 3000 ? "…" + s[^3000..] : s;
}
