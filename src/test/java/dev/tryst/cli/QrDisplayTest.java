package dev.tryst.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.nayuki.qrcodegen.QrCode;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The QR code of send --qr: what it says, and that what is drawn is that symbol, readable by a real decoder. */
public class QrDisplayTest {
    @TempDir
    Path dir;

    /** The modules a half-block drawing shows (true = dark), read back from its characters. */
    public static boolean[][] modules(String drawing) {
        List<String> lines = drawing.replaceAll("\u001b\\[[0-9;]*m", "").lines().toList();
        int width = lines.getFirst().length();
        boolean[][] m = new boolean[lines.size() * 2][width];
        for (int row = 0; row < lines.size(); row++) {
            String line = lines.get(row);
            assertEquals(width, line.length(), "ragged drawing");
            for (int x = 0; x < width; x++) {
                char c = line.charAt(x);
                assertTrue(" \u2580\u2584\u2588".indexOf(c) >= 0, "not a half block: " + c);
                m[2 * row][x] = c == '\u2580' || c == '\u2588';
                m[2 * row + 1][x] = c == '\u2584' || c == '\u2588';
            }
        }
        return m;
    }

    /** Draws modules as an image, 8 pixels each, black on white. */
    public static BufferedImage image(boolean[][] m) {
        int scale = 8;
        BufferedImage img = new BufferedImage(m[0].length * scale, m.length * scale, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                img.getRaster().setSample(x, y, 0, m[y / scale][x / scale] ? 0 : 255);
            }
        }
        return img;
    }

    @Test
    void theDrawingIsTheSymbolWithItsQuietZone() {
        String text = "tryst:481756-pelican-walnut-glider";
        QrCode qr = QrDisplay.encode(text);
        for (boolean color : new boolean[] {false, true}) {
            String drawing = QrDisplay.render(text, color);
            assertEquals(color, drawing.contains("\u001b[30;107m"), "black on white exactly when in colour");
            boolean[][] m = modules(drawing);
            int size = qr.size + 2 * QrDisplay.QUIET_ZONE;
            assertEquals(size, m[0].length);
            assertEquals((size + 1) / 2, drawing.lines().count());
            for (int y = 0; y < m.length; y++) {
                for (int x = 0; x < size; x++) {
                    int qx = x - QrDisplay.QUIET_ZONE;
                    int qy = y - QrDisplay.QUIET_ZONE;
                    boolean inside = qx >= 0 && qy >= 0 && qx < qr.size && qy < qr.size;
                    assertEquals(inside && qr.getModule(qx, qy), m[y][x], "module " + x + "," + y);
                }
            }
        }
    }

    @Test
    void theUriNamesTheCodeAndWhereToMeetWhenThatIsNotTheDefault() {
        assertEquals("tryst:42-pelican-walnut-glider", meeting().uri("42-pelican-walnut-glider"));
        assertEquals("tryst:42-pelican-walnut-glider?server=tryst.example.org%3A2311%23ab12",
                meeting("--server", "tryst.example.org:2311#ab12").uri("42-pelican-walnut-glider"));
        assertEquals("tryst:123456-a-b?relay=10.0.0.1%3A8080", meeting("--relay", "10.0.0.1:8080").uri("123456-a-b"));
    }

    private static Meeting meeting(String... args) {
        CommandLine cli = Main.commandLine();
        String[] all = new String[args.length + 2];
        all[0] = "send";
        all[1] = "--qr";
        System.arraycopy(args, 0, all, 2, args.length);
        CommandLine.ParseResult parsed = cli.parseArgs(all);
        SendCommand send = parsed.subcommand().commandSpec().commandLine().getCommand();
        assertTrue(send.qr);
        return send.meeting;
    }

    @Test
    void zbarimgReadsTheDrawingBack() throws Exception {
        ShellTools.assumeInstalled("zbarimg", "zbar-tools");
        String text = "tryst:7-pelican-walnut-glider?server=tryst.example.org";
        Path png = dir.resolve("qr.png");
        ImageIO.write(image(modules(QrDisplay.render(text, true))), "png", png.toFile());
        var r = ShellTools.run(dir, List.of("zbarimg", "--quiet", "--raw", png.toString()), false);
        assertEquals(0, r.exit(), r.out());
        assertEquals(text, r.out().strip());
    }
}
