using System.Runtime.InteropServices;

namespace CacheCluster.Persistence.Journal;

/// <summary>
/// Sleeps for a fraction of a millisecond. Thread.Sleep cannot (it rounds to whole
/// milliseconds); the group-commit window of durability always is a few hundred microseconds.
/// </summary>
internal static partial class ShortSleep
{
    static bool _native = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

    public static void Microseconds(int us)
    {
        if (_native)
        {
            try
            {
                usleep((uint)us);
                return;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                _native = false;
            }
        }
        Thread.Sleep(us >= 1000 ? us / 1000 : 1);
    }

    [LibraryImport("libc", EntryPoint = "usleep")]
    private static partial int usleep(uint usec);
}
