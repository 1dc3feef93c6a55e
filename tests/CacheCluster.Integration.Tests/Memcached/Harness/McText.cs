using System.Text;

namespace CacheCluster.Integration.Tests.Memcached.Harness;

/// <summary>One element of a text/meta reply: a line, plus the data block that follows "VALUE ..." or "VA ..." lines.</summary>
public sealed record McTextItem(byte[] Line, byte[]? Data)
{
    public string LineText => Encoding.UTF8.GetString(Line);
    public string? DataText => Data == null ? null : Encoding.UTF8.GetString(Data);
    public string[] Tokens => LineText.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => Data == null ? Esc.Bytes(Line) : $"{Esc.Bytes(Line)} <{Esc.Bytes(Data, 120)}>";
}

/// <summary>Text and meta protocol helpers: a request is followed by "mn\r\n" and the reply read up to "MN".</summary>
public static class McText
{
    public static readonly byte[] Marker = "mn\r\n"u8.ToArray();

    public static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Sends the request plus the "mn" marker; reads the reply items up to the marker's "MN" (or until the server closes).</summary>
    public static async Task<(List<McTextItem> Items, bool Closed)> ExchangeAsync(McConnection c, byte[] request)
    {
        await c.SendAsync(McBin.Concat(request, Marker));
        return await ReadUntilMarkerAsync(c);
    }

    public static Task<(List<McTextItem> Items, bool Closed)> ExchangeAsync(McConnection c, string request) => ExchangeAsync(c, Bytes(request));

    public static async Task<(List<McTextItem> Items, bool Closed)> ReadUntilMarkerAsync(McConnection c)
    {
        var items = new List<McTextItem>();
        try
        {
            while (true)
            {
                var item = await ReadItemAsync(c);
                if (item.Data == null && item.Line.AsSpan().SequenceEqual("MN"u8)) return (items, false);
                items.Add(item);
                if (items.Count > 100_000) throw new InvalidDataException("more than 100000 reply lines before the marker");
            }
        }
        catch (McClosedException)
        {
            return (items, true);
        }
    }

    /// <summary>Reads one line and, for "VALUE k f n [cas]" and "VA n ..." lines, the n-byte data block and its CRLF.</summary>
    public static async Task<McTextItem> ReadItemAsync(McConnection c)
    {
        var line = await c.ReadLineAsync();
        var text = Encoding.UTF8.GetString(line);
        int? len = null;
        var t = text.Split(' ');
        if (t[0] == "VALUE" && t.Length is 4 or 5 && int.TryParse(t[3], out var n1)) len = n1;
        else if (t[0] == "VA" && t.Length >= 2 && int.TryParse(t[1], out var n2)) len = n2;
        if (len is not { } n) return new McTextItem(line, null);
        if (n < 0 || n > 64 * 1024 * 1024) throw new InvalidDataException($"absurd data length in '{text}'");
        var data = await c.ReadExactAsync(n + 2);
        if (data[^2] != '\r' || data[^1] != '\n')
            throw new InvalidDataException($"data block of '{text}' not terminated by CRLF: '{Esc.Bytes(data[^Math.Min(data.Length, 20)..])}'");
        return new McTextItem(line, data[..^2]);
    }

    /// <summary>Sends a request and returns its reply items; fails if the connection closed.</summary>
    public static async Task<List<McTextItem>> CallAsync(McConnection c, string request)
    {
        var (items, closed) = await ExchangeAsync(c, request);
        if (closed) throw new InvalidDataException($"connection closed after '{Esc.Text(request)}' (reply so far: {Describe(items)})");
        return items;
    }

    /// <summary>Sends a request whose reply is one plain line and returns that line.</summary>
    public static async Task<string> LineAsync(McConnection c, string request)
    {
        var items = await CallAsync(c, request);
        if (items.Count != 1 || items[0].Data != null)
            throw new InvalidDataException($"'{Esc.Text(request)}': expected one reply line, got {Describe(items)}");
        return items[0].LineText;
    }

    public static string Describe(IEnumerable<McTextItem> items) => "[" + string.Join(" | ", items) + "]";
}
