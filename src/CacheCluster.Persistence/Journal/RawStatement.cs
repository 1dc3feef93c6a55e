using SQLitePCL;

namespace CacheCluster.Persistence.Journal;

/// <summary>
/// A prepared statement on SQLite's C API. The journal's hot paths (one insert per event, one
/// row per replayed event) bind spans and read blobs as spans here, with no per-row allocation,
/// which Microsoft.Data.Sqlite's ADO.NET layer cannot do.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    readonly sqlite3 _db;
    readonly sqlite3_stmt _stmt;

    public RawStatement(sqlite3 db, string sql)
    {
        _db = db;
        Check(raw.sqlite3_prepare_v2(db, sql, out _stmt), db, sql);
    }

    public RawStatement Bind(int index, long value)
    {
        Check(raw.sqlite3_bind_int64(_stmt, index, value), _db, "bind");
        return this;
    }

    public RawStatement Bind(int index, ReadOnlySpan<byte> blob)
    {
        Check(raw.sqlite3_bind_blob(_stmt, index, blob), _db, "bind");
        return this;
    }

    /// <summary>Binds UTF-8 text (no terminator needed).</summary>
    public RawStatement BindText(int index, ReadOnlySpan<byte> utf8)
    {
        Check(raw.sqlite3_bind_text(_stmt, index, utf8), _db, "bind");
        return this;
    }

    /// <summary>Runs a statement that returns no rows, then resets it for reuse.</summary>
    public void Execute()
    {
        int rc = raw.sqlite3_step(_stmt);
        raw.sqlite3_reset(_stmt);
        if (rc != raw.SQLITE_DONE) throw Error(rc, _db, "step");
    }

    /// <summary>Advances to the next row; false when done (the statement is then reset).</summary>
    public bool Step()
    {
        int rc = raw.sqlite3_step(_stmt);
        if (rc == raw.SQLITE_ROW) return true;
        raw.sqlite3_reset(_stmt);
        if (rc != raw.SQLITE_DONE) throw Error(rc, _db, "step");
        return false;
    }

    public void Reset() => raw.sqlite3_reset(_stmt);

    public long Int64(int column) => raw.sqlite3_column_int64(_stmt, column);
    public bool IsNull(int column) => raw.sqlite3_column_type(_stmt, column) == raw.SQLITE_NULL;
    public ReadOnlySpan<byte> Blob(int column) => raw.sqlite3_column_blob(_stmt, column);

    public void Dispose() => _stmt.Dispose();

    internal static void Check(int rc, sqlite3 db, string what)
    {
        if (rc != raw.SQLITE_OK) throw Error(rc, db, what);
    }

    internal static SqliteFailure Error(int rc, sqlite3 db, string what) =>
        new(rc, $"{raw.sqlite3_errmsg(db).utf8_to_string()} (SQLite error {rc} at {what})");
}

/// <summary>A failed SQLite call with its result code (e.g. SQLITE_FULL = 13, SQLITE_CORRUPT = 11).</summary>
public sealed class SqliteFailure(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
    public bool IsCorruption => (Code & 0xff) is raw.SQLITE_CORRUPT or raw.SQLITE_NOTADB;
}
