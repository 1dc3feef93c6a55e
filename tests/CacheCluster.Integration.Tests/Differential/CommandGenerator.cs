using System.Text;
using CacheCluster.Integration.Tests.Infrastructure;

namespace CacheCluster.Integration.Tests.Differential;

/// <summary>One generated command plus how to compare its replies. <see cref="Execute"/> overrides the plain send/read for composite operations (e.g. a full SCAN walk).</summary>
public sealed record RespCommand(string Template, byte[][] Args, ReplyRule Rule, Func<RespClient, Task<RespValue>>? Execute = null)
{
    /// <summary>
    /// Sent to both servers (and compared exactly) right before the command. Used to make Redis expire logically
    /// expired keys first (EXISTS on every pool key), because DBSIZE, MEMORY USAGE and OBJECT still see such keys
    /// until Redis's lazy/active expiry removes them, which depends on timing.
    /// </summary>
    public byte[][]? Prelude { get; init; }

    public override string ToString() =>
        (Execute != null ? "[composite] " : "") + string.Join(' ', Args.Select(a => "\"" + RespValue.Escape(a) + "\""));
}

/// <summary>A weighted way to produce one kind of command.</summary>
public sealed record CommandTemplate(string Name, double Weight, Func<GenContext, RespCommand> Make);

/// <summary>A group of templates (strings, keys, server...). Later protocols/data types add families.</summary>
public interface ICommandFamily
{
    string Name { get; }
    IEnumerable<CommandTemplate> Templates(GenOptions options);
}

public sealed class GenOptions
{
    /// <summary>RESP protocol version the connection runs (2 or 3); some templates (HELLO) depend on it.</summary>
    public int Protocol { get; init; } = 2;
    /// <summary>Probability of mangling the case of the command name.</summary>
    public double WrongCaseRate { get; init; } = 0.1;
    /// <summary>Probability of dropping or adding one argument.</summary>
    public double WrongArityRate { get; init; } = 0.03;
    /// <summary>Probability of a 512 KB value whenever a value is picked.</summary>
    public double HugeValueRate { get; init; } = 0.003;
    /// <summary>Keys the generator draws from. Small so that commands interact.</summary>
    public IReadOnlyList<byte[]> KeyPool { get; init; } = DefaultKeyPool;
    /// <summary>Fixed "now" (unix seconds) from which deterministic absolute expiry times are derived.</summary>
    public long BaseUnixSeconds { get; init; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static readonly IReadOnlyList<byte[]> DefaultKeyPool = new[]
    {
        "k:0", "k:1", "k:2", "k:3", "k:int", "{t}a", "{t}b", "", "bin\0\r\n key", "\u00e9\u00e8",
    }.Select(Encoding.UTF8.GetBytes).ToArray();
}

/// <summary>Random source with domain helpers shared by all families.</summary>
public sealed class GenContext
{
    public Random Rng { get; }
    public GenOptions Options { get; }

    public GenContext(int seed, GenOptions options)
    {
        Rng = new Random(seed);
        Options = options;
    }

    public bool Chance(double p) => Rng.NextDouble() < p;
    public T Pick<T>(IReadOnlyList<T> items) => items[Rng.Next(items.Count)];
    public T Pick<T>(params T[] items) => items[Rng.Next(items.Length)];
    public byte[] Key() => Options.KeyPool[Rng.Next(Options.KeyPool.Count)];
    public byte[][] Keys(int min, int max) => Enumerable.Range(0, Rng.Next(min, max + 1)).Select(_ => Key()).ToArray();

    private static readonly string[] IntegerLike =
    {
        "0", "1", "-1", "42", "007", "-0", "+1", " 1", "1 ", "10000", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "12345678901234567890", "99", "-100",
    };

    private static readonly string[] FloatLike = { "1.5", "-2.25", "1e3", "3.0", "0.1", "inf", "nan", "1e400", "5.0e-3", "0x10", "1.7976931348623157e308" };

    private static readonly string[] Words = { "v", "hello", "world", "a b c", "\"quoted\"", "x", "123abc", "\u00fcnicode-\u2603" };

    public byte[] Value()
    {
        if (Chance(Options.HugeValueRate)) return HugeValue();
        return Rng.Next(10) switch
        {
            0 or 1 => Encoding.UTF8.GetBytes(Pick(IntegerLike)),
            2 => Encoding.UTF8.GetBytes(Pick(FloatLike)),
            3 => Array.Empty<byte>(),
            4 => BinaryValue(),
            5 => Encoding.ASCII.GetBytes(new string('e', Pick(20, 39, 44, 45, 46, 64, 200))),
            _ => Encoding.UTF8.GetBytes(Pick(Words) + Rng.Next(100)),
        };
    }

    public byte[] BinaryValue()
    {
        var b = new byte[Rng.Next(1, 24)];
        Rng.NextBytes(b);
        b[Rng.Next(b.Length)] = 0;
        if (b.Length > 3) { b[1] = (byte)'\r'; b[2] = (byte)'\n'; }
        return b;
    }

    public byte[] HugeValue()
    {
        var b = new byte[512 * 1024];
        var fill = (byte)('a' + Rng.Next(26));
        Array.Fill(b, fill);
        b[Rng.Next(b.Length)] = (byte)'\n';
        return b;
    }

    public string Increment() => Rng.Next(8) switch
    {
        0 => Pick("9223372036854775807", "-9223372036854775808", "9223372036854775806", "-9223372036854775807"),
        1 => Pick("abc", "1.5", " 1", "", "1e3", "0x1", "99999999999999999999", "+5", "-0"),
        _ => Rng.Next(-1000, 1000).ToString(),
    };

    /// <summary>
    /// Mostly binary-exact increments (Redis computes INCRBYFLOAT in 80-bit long double and prints 17 decimals, so
    /// arbitrary doubles produce long-double artifacts; those are pinned by the "incrbyfloat" edge-case group instead
    /// of cascading through every random sequence).
    /// </summary>
    public string FloatIncrement() => Rng.Next(10) switch
    {
        0 => Pick("1e308", "inf", "-inf", "nan", "+inf", "1e-320", "abc", "", " 2", "0x10", "3.0e3", "5.0000000000000001", "1.7976931348623157e308", "-1e308", "10.", ".5"),
        1 => Pick("0", "-0", "0.0"),
        2 => (Rng.NextDouble() * 200 - 100).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => (Rng.Next(-4000, 4000) / 8.0).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Relative seconds: never small positive values (1..99) so keys cannot expire between the two servers' executions.</summary>
    public string RelativeSeconds() => Rng.Next(10) switch
    {
        0 => Pick("0", "-1", "-100"),
        1 => Pick("abc", "", "1.5", "9223372036854775807", "9223372036854775", "-9223372036854775808"),
        _ => Rng.Next(100, 100_000).ToString(),
    };

    public string RelativeMillis() => Rng.Next(10) switch
    {
        0 => Pick("0", "-1", "-100"),
        1 => Pick("abc", "1.5", "9223372036854775807", "-9223372036854775808"),
        _ => Rng.Next(100_000, 100_000_000).ToString(),
    };

    /// <summary>Absolute unix seconds: in the past (expire immediately), or far future fixed per seed (deterministic for both servers).</summary>
    public string AbsoluteSeconds() => Rng.Next(8) switch
    {
        0 => Pick("1", "0", "-1", Options.BaseUnixSeconds - 1000 + ""),
        1 => Pick("abc", "9223372036854775807", "9223372036854775"),
        _ => (Options.BaseUnixSeconds + 1000 * Rng.Next(1, 20)).ToString(),
    };

    public string AbsoluteMillis() => Rng.Next(8) switch
    {
        0 => Pick("1", "0", "-1", (Options.BaseUnixSeconds - 1000) * 1000 + ""),
        // not 9223372036854775807: EXPIRETIME then hits signed overflow (undefined behaviour) inside Redis
        1 => Pick("abc", "922337203685477580"),
        _ => ((Options.BaseUnixSeconds + 1000 * Rng.Next(1, 20)) * 1000 + Rng.Next(1000)).ToString(),
    };

    public string Offset() => Rng.Next(8) switch
    {
        0 => Pick("-1", "-5", "-100", "-9223372036854775808"),
        1 => Pick("536870912", "9999999999999", "9223372036854775807", "abc", "1.5"),
        2 => Pick("600000", "1000"),
        _ => Rng.Next(0, 60).ToString(),
    };

    public string RangeIndex() => Rng.Next(6) switch
    {
        0 => Pick("-1", "-3", "-100", "-9223372036854775808"),
        1 => Pick("9223372036854775807", "1000000", "abc"),
        _ => Rng.Next(0, 50).ToString(),
    };

    public static RespCommand Cmd(string template, ReplyRule rule, params object[] args) => new(template, RespClient.Args(args), rule);

    /// <summary>EXISTS over the whole key pool: forces Redis's lazy expiry of every pool key.</summary>
    public byte[][] ExpirePoolPrelude() => new[] { "EXISTS"u8.ToArray() }.Concat(Options.KeyPool).ToArray();
}

/// <summary>Deterministic (per seed) stream of commands drawn from weighted families, with case and arity mutations.</summary>
public sealed class CommandGenerator
{
    private readonly GenContext _ctx;
    private readonly List<CommandTemplate> _templates;
    private readonly double[] _cumulative;

    public CommandGenerator(int seed, GenOptions options, IEnumerable<ICommandFamily> families)
    {
        _ctx = new GenContext(seed, options);
        _templates = families.SelectMany(f => f.Templates(options)).Where(t => t.Weight > 0).ToList();
        _cumulative = new double[_templates.Count];
        double sum = 0;
        for (var i = 0; i < _templates.Count; i++) _cumulative[i] = sum += _templates[i].Weight;
    }

    public GenContext Context => _ctx;

    public RespCommand Next()
    {
        var r = _ctx.Rng.NextDouble() * _cumulative[^1];
        var idx = Array.BinarySearch(_cumulative, r);
        if (idx < 0) idx = ~idx;
        var cmd = _templates[Math.Min(idx, _templates.Count - 1)].Make(_ctx);
        if (cmd.Execute != null) return cmd;

        var args = cmd.Args;
        if (_ctx.Chance(_ctx.Options.WrongCaseRate)) args = args.ToArray().Also(a => a[0] = MangleCase(a[0]));
        if (_ctx.Chance(_ctx.Options.WrongArityRate))
        {
            args = _ctx.Rng.Next(2) == 0 && args.Length > 1
                ? args[..^1]
                : args.Append(Encoding.ASCII.GetBytes("extra")).ToArray();
            return cmd with { Args = args, Template = cmd.Template + "+arity", };
        }
        return cmd with { Args = args };
    }

    public IEnumerable<RespCommand> Take(int count)
    {
        for (var i = 0; i < count; i++) yield return Next();
    }

    private byte[] MangleCase(byte[] name)
    {
        var s = Encoding.UTF8.GetString(name).ToCharArray();
        for (var i = 0; i < s.Length; i++) if (_ctx.Rng.Next(2) == 0) s[i] = char.IsUpper(s[i]) ? char.ToLowerInvariant(s[i]) : char.ToUpperInvariant(s[i]);
        return Encoding.UTF8.GetBytes(s);
    }
}

internal static class GenExtensions
{
    public static T Also<T>(this T value, Action<T> action)
    {
        action(value);
        return value;
    }
}
