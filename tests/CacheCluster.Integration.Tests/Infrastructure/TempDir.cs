namespace CacheCluster.Integration.Tests.Infrastructure;

public sealed class TempDir : IDisposable
{
    public string Path { get; }

    public TempDir(string prefix = "cc-it")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch { /* best effort */ }
    }
}
