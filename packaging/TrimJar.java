import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * The image's jar: the shaded jar without the native libraries of other platforms (zstd-jni and
 * sqlite-jdbc carry them for some 30), since the image's runtime is Linux x86_64 anyway. Entries
 * are copied as they are, in order, with their times. Run by release.sh as a source-file program:
 * java TrimJar.java IN OUT
 */
public class TrimJar {
    static boolean otherPlatform(String name) {
        if (name.startsWith("org/sqlite/native/")) {           // sqlite-jdbc: org/sqlite/native/OS/ARCH/...
            return !name.equals("org/sqlite/native/") && !name.startsWith("org/sqlite/native/Linux/")
                    || name.startsWith("org/sqlite/native/Linux/") && !name.equals("org/sqlite/native/Linux/")
                    && !name.startsWith("org/sqlite/native/Linux/x86_64/");
        }
        // zstd-jni: OS/ARCH/libzstd-jni-VERSION.{so,dylib,dll} at the jar's root
        int slash = name.indexOf('/');
        if (slash > 0 && java.util.Set.of("aix", "darwin", "freebsd", "linux", "win").contains(name.substring(0, slash))) {
            return !name.equals("linux/") && !name.startsWith("linux/amd64/");
        }
        return false;
    }

    public static void main(String[] args) throws IOException {
        try (ZipFile in = new ZipFile(args[0]);
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(Path.of(args[1])))) {
            int dropped = 0;
            for (var entries = in.entries(); entries.hasMoreElements(); ) {
                ZipEntry e = entries.nextElement();
                if (otherPlatform(e.getName())) {
                    dropped++;
                    continue;
                }
                ZipEntry copy = new ZipEntry(e.getName());
                copy.setTime(e.getTime());
                out.putNextEntry(copy);
                try (var data = in.getInputStream(e)) {
                    data.transferTo(out);
                }
                out.closeEntry();
            }
            System.out.println("TrimJar: dropped " + dropped + " entries of other platforms");
        }
    }
}
