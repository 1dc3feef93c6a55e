using System.Buffers;
using System.Text;
using CacheCluster.Protocols.Resp;
using static CacheCluster.Protocols.Tests.Resp.Resp;

namespace CacheCluster.Protocols.Tests.Resp;

public class RespWriterTests
{
    /// <summary>Hands out spans of exactly the requested size, each in a fresh array, to catch size-hint bugs.</summary>
    private sealed class StingyWriter : IBufferWriter<byte>
    {
        private readonly MemoryStream _written = new();
        private byte[] _current = [];
        public int Spans { get; private set; }

        public void Advance(int count)
        {
            Assert.InRange(count, 0, _current.Length);
            _written.Write(_current, 0, count);
            _current = [];
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _current = new byte[Math.Max(sizeHint, 1)];

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Spans++;
            return GetMemory(sizeHint).Span;
        }

        public byte[] ToArray() => _written.ToArray();
    }

    private static string Write(int version, Action<RespWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new RespWriter(buffer, version));
        var stingy = new StingyWriter();
        write(new RespWriter(stingy, version));
        Assert.Equal(buffer.WrittenSpan.ToArray(), stingy.ToArray());
        return S(buffer.WrittenSpan);
    }

    private static void Both(Action<RespWriter> write, string resp2, string resp3)
    {
        Assert.Equal(resp2, Write(2, write));
        Assert.Equal(resp3, Write(3, write));
    }

    [Fact]
    public void SimpleString()
    {
        Both(w => w.WriteSimpleString("PONG"u8), "+PONG\r\n", "+PONG\r\n");
        Both(w => w.WriteSimpleString("PONG"), "+PONG\r\n", "+PONG\r\n");
        Both(w => w.WriteSimpleString(""), "+\r\n", "+\r\n");
        Both(w => w.WriteSimpleString("a\r\nb"u8), "+a  b\r\n", "+a  b\r\n");
        Both(w => w.WriteSimpleString("a\nb"), "+a b\r\n", "+a b\r\n");
    }

    [Fact]
    public void Ok() => Both(w => w.WriteOk(), "+OK\r\n", "+OK\r\n");

    [Fact]
    public void Error()
    {
        Both(w => w.WriteError("ERR unknown command"), "-ERR unknown command\r\n", "-ERR unknown command\r\n");
        Both(w => w.WriteError("WRONGTYPE Operation"u8), "-WRONGTYPE Operation\r\n", "-WRONGTYPE Operation\r\n");
        Both(w => w.WriteError("ERR Protocol error: expected '$', got '\r'"), "-ERR Protocol error: expected '$', got ' '\r\n", "-ERR Protocol error: expected '$', got ' '\r\n");
        Both(w => w.WriteError("ERR x\r\ny"u8), "-ERR x  y\r\n", "-ERR x  y\r\n");
    }

    [Fact]
    public void LongErrorAndSimpleStringAreWrittenInPieces()
    {
        // error texts are Latin-1: a client's bytes echoed in an error go back unchanged
        string text = "ERR " + new string('é', 5000) + "\n" + new string('x', 3000);
        string expected = "-" + S(Encoding.Latin1.GetBytes(text.Replace('\n', ' '))) + "\r\n";
        Both(w => w.WriteError(text), expected, expected);
    }

    [Theory]
    [InlineData(0L, ":0\r\n")]
    [InlineData(7L, ":7\r\n")]
    [InlineData(10L, ":10\r\n")]
    [InlineData(-1L, ":-1\r\n")]
    [InlineData(long.MaxValue, ":9223372036854775807\r\n")]
    [InlineData(long.MinValue, ":-9223372036854775808\r\n")]
    public void Integer(long value, string expected) => Both(w => w.WriteInteger(value), expected, expected);

    [Fact]
    public void Bulk()
    {
        Both(w => w.WriteBulk("hello"u8), "$5\r\nhello\r\n", "$5\r\nhello\r\n");
        Both(w => w.WriteBulk(ReadOnlySpan<byte>.Empty), "$0\r\n\r\n", "$0\r\n\r\n");
        string binary = new(Enumerable.Range(0, 256).Select(i => (char)i).ToArray());
        Both(w => w.WriteBulk(B(binary)), "$256\r\n" + binary + "\r\n", "$256\r\n" + binary + "\r\n");
    }

    [Theory]
    [InlineData(4095)]
    [InlineData(4096)]
    [InlineData(4097)]
    [InlineData(100_000)]
    [InlineData(3_000_001)]
    public void LargeBulkIsCopiedInPieces(int length)
    {
        byte[] value = new byte[length];
        new Random(length).NextBytes(value);
        string expected = $"${length}\r\n" + S(value) + "\r\n";
        Both(w => w.WriteBulk(value), expected, expected);

        var stingy = new StingyWriter();
        new RespWriter(stingy).WriteBulk(value);
        if (length > 4096) Assert.True(stingy.Spans > length / 4096); // never one giant span
    }

    [Fact]
    public void BulkString()
    {
        Both(w => w.WriteBulkString("héllo"), "$6\r\nh\u00c3\u00a9llo\r\n", "$6\r\nh\u00c3\u00a9llo\r\n");
        Both(w => w.WriteBulkString(""), "$0\r\n\r\n", "$0\r\n\r\n");
        Both(w => w.WriteBulkString("a\r\nb"), "$4\r\na\r\nb\r\n", "$4\r\na\r\nb\r\n"); // bulks are binary-safe
    }

    [Theory]
    [InlineData(2047)]
    [InlineData(2048)]
    [InlineData(2049)]
    [InlineData(4096)]
    [InlineData(4097)]
    public void AsciiStringsAroundTheSingleSpanLimits(int length)
    {
        string text = new('q', length);
        Both(w => w.WriteBulkString(text), $"${length}\r\n{text}\r\n", $"${length}\r\n{text}\r\n");
        Both(w => w.WriteSimpleString(text), $"+{text}\r\n", $"+{text}\r\n");
        Both(w => w.WriteError(text), $"-{text}\r\n", $"-{text}\r\n");
    }

    [Theory]
    [InlineData(10)]
    [InlineData(700)]
    [InlineData(2048)]
    [InlineData(2049)]
    [InlineData(50_000)]
    public void LargeBulkStringWithAllKindsOfChars(int repeat)
    {
        // ASCII, 2-, 3- and 4-byte UTF-8, and a lone surrogate (written as U+FFFD).
        string text = string.Concat(Enumerable.Repeat("aé€😀", repeat)) + "\ud800z";
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        string expected = $"${utf8.Length}\r\n" + S(utf8) + "\r\n";
        Both(w => w.WriteBulkString(text), expected, expected);
    }

    [Fact]
    public void Null() => Both(w => w.WriteNull(), "$-1\r\n", "_\r\n");

    [Fact]
    public void NullArray() => Both(w => w.WriteNullArray(), "*-1\r\n", "_\r\n");

    [Fact]
    public void Headers()
    {
        Both(w => w.WriteArrayHeader(0), "*0\r\n", "*0\r\n");
        Both(w => w.WriteArrayHeader(3), "*3\r\n", "*3\r\n");
        Both(w => w.WriteMapHeader(2), "*4\r\n", "%2\r\n");
        Both(w => w.WriteMapHeader(0), "*0\r\n", "%0\r\n");
        Both(w => w.WriteMapHeader(int.MaxValue), "*4294967294\r\n", "%2147483647\r\n");
        Both(w => w.WriteSetHeader(5), "*5\r\n", "~5\r\n");
        Assert.Throws<ArgumentOutOfRangeException>(() => Write(2, w => w.WriteArrayHeader(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Write(3, w => w.WriteMapHeader(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Write(3, w => w.WriteSetHeader(-2)));
    }

    [Theory]
    [InlineData(1.5, "1.5")]
    [InlineData(0.1, "0.10000000000000001")]
    [InlineData(3.0, "3")]
    [InlineData(-0.0, "-0")]
    [InlineData(1e21, "1e+21")]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NegativeInfinity, "-inf")]
    [InlineData(double.NaN, "nan")]
    public void Double(double value, string text) =>
        Both(w => w.WriteDouble(value), $"${text.Length}\r\n{text}\r\n", $",{text}\r\n");

    [Fact]
    public void Boolean()
    {
        Both(w => w.WriteBoolean(true), ":1\r\n", "#t\r\n");
        Both(w => w.WriteBoolean(false), ":0\r\n", "#f\r\n");
    }

    [Fact]
    public void Verbatim()
    {
        Both(w => w.WriteVerbatim("txt"u8, "Some string"u8), "$11\r\nSome string\r\n", "=15\r\ntxt:Some string\r\n");
        Both(w => w.WriteVerbatim("mkd"u8, ""u8), "$0\r\n\r\n", "=4\r\nmkd:\r\n");
        string big = new('v', 10_000);
        Both(w => w.WriteVerbatim("txt"u8, B(big)), $"$10000\r\n{big}\r\n", $"=10004\r\ntxt:{big}\r\n");
        Assert.Throws<ArgumentException>(() => Write(3, w => w.WriteVerbatim("text"u8, "x"u8)));
    }

    [Fact]
    public void VersionCanBeSwitchedOnALiveWriter()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new RespWriter(buffer);
        Assert.Equal(2, writer.Version);
        writer.WriteNull();
        writer.Version = 3;
        writer.WriteNull();
        writer.Version = 2;
        writer.WriteBoolean(true);
        Assert.Equal("$-1\r\n_\r\n:1\r\n", S(buffer.WrittenSpan));
        Assert.Same(buffer, writer.Output);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Version = 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RespWriter(buffer, 1));
        Assert.Equal(2, default(RespWriter).Version);
    }

    [Fact]
    public void ARealisticReplySequence()
    {
        Both(w =>
        {
            w.WriteMapHeader(2);
            w.WriteBulkString("server");
            w.WriteBulkString("cachecluster");
            w.WriteBulkString("proto");
            w.WriteInteger(3);
        },
        "*4\r\n$6\r\nserver\r\n$12\r\ncachecluster\r\n$5\r\nproto\r\n:3\r\n",
        "%2\r\n$6\r\nserver\r\n$12\r\ncachecluster\r\n$5\r\nproto\r\n:3\r\n");
    }

    [Fact]
    public void WritingDoesNotAllocate()
    {
        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        var writer = new RespWriter(buffer, 3);
        void All()
        {
            writer.WriteArrayHeader(9);
            writer.WriteInteger(-123456789);
            writer.WriteBulk("value"u8);
            writer.WriteBulkString("text");
            writer.WriteSimpleString("PONG");
            writer.WriteError("ERR nope");
            writer.WriteDouble(0.1);
            writer.WriteBoolean(true);
            writer.WriteNull();
            writer.WriteVerbatim("txt"u8, "v"u8);
        }
        All();
        buffer.ResetWrittenCount();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) All();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
