package dev.tryst.admin;

import java.util.List;

/**
 * What {@code /healthz} says: each service, whether it is up, where it listens, and its state
 * backend and whether that answers. The server is up when every service that is on is up and so
 * is its state; a service turned off ({@code --stun-port -1}) is listed as off and does not count.
 */
public record Health(long uptimeSeconds, List<Service> services) {
    /** One service; {@code address} null when off; {@code backend} what keeps its state. */
    public record Service(String name, String status, String address, String backend, String backendStatus, String detail) {
        boolean up() {
            return status.equals("off") || (status.equals("up") && backendStatus.equals("up"));
        }
    }

    public boolean up() {
        return services.stream().allMatch(Service::up);
    }

    public String json() {
        StringBuilder b = new StringBuilder();
        b.append("{\"status\":\"").append(up() ? "up" : "down").append("\",\"uptime_seconds\":").append(uptimeSeconds)
                .append(",\"services\":{");
        for (int i = 0; i < services.size(); i++) {
            Service s = services.get(i);
            if (i > 0) {
                b.append(',');
            }
            LogFormat.json(b, s.name());
            b.append(":{\"status\":");
            LogFormat.json(b, s.status());
            if (s.address() != null) {
                b.append(",\"address\":");
                LogFormat.json(b, s.address());
            }
            if (s.backend() != null) {
                b.append(",\"state\":{\"backend\":");
                LogFormat.json(b, s.backend());
                b.append(",\"status\":");
                LogFormat.json(b, s.backendStatus());
                b.append('}');
            }
            if (s.detail() != null) {
                b.append(",\"detail\":");
                LogFormat.json(b, s.detail());
            }
            b.append('}');
        }
        return b.append("}}").toString();
    }
}
