//! `bus-webhook`: webhook ingress of the bus (being written).
