using System.Text;
using CacheCluster.Protocols.Resp;

namespace CacheCluster.Protocols.Tests.Resp;

/// <summary>%.17g vectors produced by glibc printf (including exact-tie rounding cases).</summary>
public class FormatDoubleG17Tests
{
    [Theory]
    [InlineData(0x0000000000000000UL, "0")]
    [InlineData(0x8000000000000000UL, "-0")]
    [InlineData(0x3fb999999999999aUL, "0.10000000000000001")]
    [InlineData(0x4008000000000000UL, "3")]
    [InlineData(0x444b1ae4d6e2ef50UL, "1e+21")]
    [InlineData(0x3e8421f5f40d8376UL, "1.4999999999999999e-07")]
    [InlineData(0x4341c37937e08000UL, "10000000000000000")]
    [InlineData(0x4376345785d8a000UL, "1e+17")]
    [InlineData(0x437b69b4ba630f35UL, "1.2345678901234568e+17")]
    [InlineData(0x3f1a36e2eb1c432dUL, "0.0001")]
    [InlineData(0x3ee4f8b588e368f1UL, "1.0000000000000001e-05")]
    [InlineData(0x3fd5555555555555UL, "0.33333333333333331")]
    [InlineData(0xc004000000000000UL, "-2.5")]
    [InlineData(0x0000000000000001UL, "4.9406564584124654e-324")]
    [InlineData(0x7fefffffffffffffUL, "1.7976931348623157e+308")]
    [InlineData(0x0010000000000000UL, "2.2250738585072014e-308")]
    [InlineData(0x430c6bf526340002UL, "1000000000000000.2")]
    [InlineData(0x430c6bf526340006UL, "1000000000000000.8")]
    [InlineData(0x4330000000000002UL, "4503599627370498")]
    [InlineData(0x4059000000000000UL, "100")]
    [InlineData(0x40c81cd6c8b43958UL, "12345.678")]
    [InlineData(0x4376345785d89fffUL, "99999999999999984")]
    [InlineData(0x3fd3333333333333UL, "0.29999999999999999")]
    [InlineData(0x3fe5555555555555UL, "0.66666666666666663")]
    [InlineData(0x7e37e43c8800759cUL, "1.0000000000000001e+300")]
    [InlineData(0x01a56e1fc2f8f359UL, "1e-300")]
    [InlineData(0xbddb7cdfd9d7bdbbUL, "-1e-10")]
    [InlineData(0x4045000000000000UL, "42")]
    [InlineData(0x430c6bf526340000UL, "1000000000000000")]
    [InlineData(0x41378e1c25b6f34bUL, "1543708.147322851")]
    [InlineData(0x42d590981b394cb6UL, "94843085579570.844")]
    [InlineData(0x08a2700b6ae040f8UL, "4.4672472658401487e-267")]
    [InlineData(0x415894a8d18c0679UL, "6443683.2741714651")]
    [InlineData(0x42716f7cde1bb6e0UL, "1198158373307.4297")]
    [InlineData(0x4327c48e45af9c87UL, "3345019898940995.5")]
    [InlineData(0x407b3a76c8b43958UL, "435.654")]
    [InlineData(0xaa34358494eb00edUL, "-2.2028631438301252e-105")]
    [InlineData(0x423c0c467eef5e72UL, "120465030895.36893")]
    [InlineData(0x42f133a22b3edce5UL, "302615387958734.31")]
    [InlineData(0x4183396b99d82f5bUL, "40316275.230559073")]
    [InlineData(0x43176de8207b8869UL, "1648692052288026.2")]
    [InlineData(0x408109f5c28f5c29UL, "545.245")]
    [InlineData(0x979a9ed267f5a7e9UL, "-5.6979333303877147e-195")]
    [InlineData(0x431aa308b6a6bb4fUL, "1874401803480787.8")]
    [InlineData(0xe30e53fd02674a69UL, "-1.4307128993456672e+169")]
    [InlineData(0x409c53bf7ced9168UL, "1812.9369999999999")]
    [InlineData(0x41878a27fde16ad8UL, "49366271.73506707")]
    [InlineData(0x41fb244a4b3c90b6UL, "7285810355.7853298")]
    [InlineData(0x4064720c49ba5e35UL, "163.56399999999999")]
    [InlineData(0x42da7cb7f0c93662UL, "116491857110233.53")]
    [InlineData(0x4080dbac083126e9UL, "539.45899999999995")]
    [InlineData(0x42996b56c8be9334UL, "6987202047908.8008")]
    [InlineData(0x4310c72190dfa0e8UL, "1180636651448378")]
    [InlineData(0x409ea3ba5e353f7dUL, "1960.932")]
    [InlineData(0x413d686685922907UL, "1927270.5217614786")]
    [InlineData(0x429d5588b86fecccUL, "8063300803579.1992")]
    [InlineData(0x409e68189374bc6aUL, "1946.0239999999999")]
    [InlineData(0x4091cf2f1a9fbe77UL, "1139.796")]
    [InlineData(0x409b86f2b020c49cUL, "1761.7370000000001")]
    [InlineData(0x24e40dfb2dff39a2UL, "5.6507513966964805e-131")]
    [InlineData(0x780e9f5d6b08397dUL, "2.0222136776711551e+270")]
    [InlineData(0x42f1122d70dfbd39UL, "300316311288787.56")]
    [InlineData(0x407530bc6a7ef9dbUL, "339.04599999999999")]
    [InlineData(0x42eee966fa8ab042UL, "271902431270274.06")]
    [InlineData(0x42b1cf6beafa69d9UL, "19582566464105.848")]
    [InlineData(0x4098cfa1cac08312UL, "1587.9079999999999")]
    [InlineData(0x4061d947ae147ae1UL, "142.78999999999999")]
    [InlineData(0x16a7fb0e633df338UL, "1.5664427514678028e-199")]
    [InlineData(0x3f1a36e2eb1c432cUL, "9.9999999999999991e-05")]
    [InlineData(0x3f202e4b6ce5dc68UL, "0.00012344999999999999")]
    [InlineData(0x3eef75104d551d6aUL, "1.5000000000000002e-05")]
    [InlineData(0x419d6f34547df3b6UL, "123456789.123")]
    [InlineData(0x54b249ad2594c37dUL, "1e+100")]
    [InlineData(0xab2bff2ee48e0530UL, "-1e-100")]
    [InlineData(0x00005c0ab9347ed7UL, "4.9999999999999847e-310")]
    [InlineData(0x3fe0000000000000UL, "0.5")]
    [InlineData(0x4480f0cf064dd592UL, "1e+22")]
    [InlineData(0x3e49c511dc3a41dfUL, "1.2e-08")]
    [InlineData(0x40f0000000000000UL, "65536")]
    [InlineData(0xc05edd2f1a9fbe77UL, "-123.456")]
    [InlineData(0x4341c37937e08001UL, "10000000000000002")]
    [InlineData(0x4345ee2a2eb5a5c4UL, "12345678901234568")]
    public void MatchesGlibcPrintf(ulong bits, string expected)
    {
        Span<byte> buffer = stackalloc byte[RespWriter.MaxDoubleLength];
        int n = RespWriter.FormatDoubleG17(BitConverter.UInt64BitsToDouble(bits), buffer);
        Assert.Equal(expected, Encoding.ASCII.GetString(buffer[..n]));
    }

    [Theory]
    [InlineData(0.1, "0.10000000000000001")]
    [InlineData(3.0, "3")]
    [InlineData(1e21, "1e+21")]
    [InlineData(1.5e-7, "1.4999999999999999e-07")]
    [InlineData(-1.5, "-1.5")]
    [InlineData(1e-4, "0.0001")]
    [InlineData(1e-5, "1.0000000000000001e-05")]
    [InlineData(1e16, "10000000000000000")]
    [InlineData(1e17, "1e+17")]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NegativeInfinity, "-inf")]
    [InlineData(double.NaN, "nan")]
    [InlineData(double.MaxValue, "1.7976931348623157e+308")]
    [InlineData(double.Epsilon, "4.9406564584124654e-324")]
    [InlineData(-double.Epsilon, "-4.9406564584124654e-324")]
    public void KnownValues(double value, string expected)
    {
        Span<byte> buffer = stackalloc byte[RespWriter.MaxDoubleLength];
        int n = RespWriter.FormatDoubleG17(value, buffer);
        Assert.Equal(expected, Encoding.ASCII.GetString(buffer[..n]));
    }

    [Fact]
    public void NegativeNaNIsStillNan()
    {
        Span<byte> buffer = stackalloc byte[RespWriter.MaxDoubleLength];
        int n = RespWriter.FormatDoubleG17(BitConverter.UInt64BitsToDouble(0xFFF8000000000000UL), buffer);
        Assert.Equal("nan", Encoding.ASCII.GetString(buffer[..n]));
    }

    [Fact]
    public void LongestOutputFits()
    {
        Span<byte> buffer = stackalloc byte[RespWriter.MaxDoubleLength];
        int n = RespWriter.FormatDoubleG17(-1.2345678901234567e-300, buffer);
        Assert.Equal("-1.2345678901234568e-300", Encoding.ASCII.GetString(buffer[..n]));
        n = RespWriter.FormatDoubleG17(-0.00012345678901234567, buffer);
        Assert.Equal("-0.00012345678901234567", Encoding.ASCII.GetString(buffer[..n]));
    }
}
