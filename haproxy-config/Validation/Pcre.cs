using System.Runtime.InteropServices;
using System.Text;

namespace HaproxyCluster.Config;

/// <summary>
/// Compiles a regex with PCRE2, the library HAProxy itself uses, so that a pattern is accepted at
/// synth time exactly when HAProxy would accept it. Where libpcre2 is not installed, .NET's regex
/// parser stands in; it accepts a few constructs PCRE2 rejects.
/// </summary>
internal static partial class Pcre
{
    private const string Library = "libpcre2-8.so.0";

    /// <summary>Null when <paramref name="pattern"/> compiles; else PCRE2's reason.</summary>
    public static string? Check(string pattern)
    {
        try
        {
            return CheckWithPcre2(pattern);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return CheckWithDotNet(pattern);
        }
    }

    private static string? CheckWithPcre2(string pattern)
    {
        var bytes = Encoding.UTF8.GetBytes(pattern);
        var code = Compile(bytes, (nuint)bytes.Length, 0, out var errorCode, out var offset, IntPtr.Zero);
        if (code != IntPtr.Zero)
        {
            CodeFree(code);
            return null;
        }

        var message = new byte[256];
        var length = GetErrorMessage(errorCode, message, (nuint)message.Length);
        return $"{Encoding.UTF8.GetString(message, 0, Math.Max(length, 0))} at offset {offset}";
    }

    private static string? CheckWithDotNet(string pattern)
    {
        try
        {
            _ = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    [LibraryImport(Library, EntryPoint = "pcre2_compile_8")]
    private static partial IntPtr Compile(byte[] pattern, nuint length, uint options, out int errorCode, out nuint errorOffset, IntPtr context);

    [LibraryImport(Library, EntryPoint = "pcre2_code_free_8")]
    private static partial void CodeFree(IntPtr code);

    [LibraryImport(Library, EntryPoint = "pcre2_get_error_message_8")]
    private static partial int GetErrorMessage(int errorCode, byte[] buffer, nuint bufferLength);
}
