using System.Reflection;

namespace CacheCluster.Integration.Tests.Infrastructure;

/// <summary>Locates the repository root and the server build that matches the test build.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> _root = new(FindRoot);

    public static string RepoRoot => _root.Value;

    /// <summary>"Debug" or "Release", detected from the test assembly's own output path.</summary>
    public static string Configuration
    {
        get
        {
            var dir = Path.GetDirectoryName(typeof(RepoPaths).Assembly.Location) ?? AppContext.BaseDirectory;
            var parts = dir.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
            for (var i = parts.Length - 1; i > 0; i--)
            {
                if (parts[i - 1] == "bin") return parts[i];
            }
#if DEBUG
            return "Debug";
#else
            return "Release";
#endif
        }
    }

    public static string ServerDll =>
        Path.Combine(RepoRoot, "src", "CacheCluster.Server", "bin", Configuration, "net10.0", "CacheCluster.Server.dll");

    private static string FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("CACHECLUSTER_REPO_ROOT");
        if (!string.IsNullOrEmpty(env) && File.Exists(Path.Combine(env, "CacheCluster.sln"))) return env;
        var dir = new DirectoryInfo(Path.GetDirectoryName(Assembly.GetExecutingAssembly().Location) ?? AppContext.BaseDirectory);
        for (var i = 0; i < 20 && dir != null; i++, dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CacheCluster.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Could not find CacheCluster.sln walking up from the test assembly directory.");
    }
}
