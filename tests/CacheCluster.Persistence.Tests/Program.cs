namespace CacheCluster.Persistence.Tests;

/// <summary>
/// The test assembly's console entry (test runners do not use it). It only generates the sample
/// journal that the compatibility tests read; no test calls it. See Samples/README.md.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["generate-journal-v1", var dir])
        {
            var path = SampleJournalV1.Generate(dir);
            Console.WriteLine($"wrote {path} ({new FileInfo(path).Length} bytes)");
            return 0;
        }
        Console.Error.WriteLine("usage: dotnet CacheCluster.Persistence.Tests.dll generate-journal-v1 <new empty directory>");
        return 2;
    }
}
