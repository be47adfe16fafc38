// The dnstap message types banwall writes (CLIENT_QUERY and CLIENT_RESPONSE with a Policy), as a
// protobufjs reflection root: field numbers and enum values follow the dnstap schema (dnstap.info),
// so any dnstap reader (dnstap-ldns, dnstap-read, go-dnscollector, Vector) decodes them.
import protobuf from 'protobufjs';

// The types are proto2 with `optional` fields (presence tracked), as dnstap's schema is: protobufjs
// otherwise takes JSON types as proto3 and omits a field equal to its enum's first value (INET, UDP).
const root = protobuf.Root.fromJSON({
  nested: {
    dnstap: {
      nested: {
        Dnstap: {
          edition: 'proto2',
          fields: {
            identity: { rule: 'optional', type: 'bytes', id: 1 },
            version: { rule: 'optional', type: 'bytes', id: 2 },
            extra: { rule: 'optional', type: 'bytes', id: 3 },
            message: { rule: 'optional', type: 'Message', id: 14 },
            type: { rule: 'required', type: 'DnstapType', id: 15 },
          },
        },
        DnstapType: { values: { MESSAGE: 1 } },
        SocketFamily: { values: { INET: 1, INET6: 2 } },
        SocketProtocol: { values: { UDP: 1, TCP: 2, DOT: 3, DOH: 4 } },
        MessageType: { values: { CLIENT_QUERY: 5, CLIENT_RESPONSE: 6 } },
        PolicyAction: { values: { NXDOMAIN: 1, NODATA: 2, PASS: 3, DROP: 4, TRUNCATE: 5, LOCAL_DATA: 6 } },
        PolicyMatch: { values: { QNAME: 1, CLIENT_IP: 2, RESPONSE_IP: 3 } },
        Policy: {
          edition: 'proto2',
          fields: {
            type: { rule: 'optional', type: 'string', id: 1 },
            rule: { rule: 'optional', type: 'bytes', id: 2 },
            action: { rule: 'optional', type: 'PolicyAction', id: 3 },
            match: { rule: 'optional', type: 'PolicyMatch', id: 4 },
            value: { rule: 'optional', type: 'bytes', id: 5 },
          },
        },
        Message: {
          edition: 'proto2',
          fields: {
            type: { rule: 'required', type: 'MessageType', id: 1 },
            socketFamily: { rule: 'optional', type: 'SocketFamily', id: 2 },
            socketProtocol: { rule: 'optional', type: 'SocketProtocol', id: 3 },
            queryAddress: { rule: 'optional', type: 'bytes', id: 4 },
            responseAddress: { rule: 'optional', type: 'bytes', id: 5 },
            queryPort: { rule: 'optional', type: 'uint32', id: 6 },
            responsePort: { rule: 'optional', type: 'uint32', id: 7 },
            queryTimeSec: { rule: 'optional', type: 'uint64', id: 8 },
            queryTimeNsec: { rule: 'optional', type: 'fixed32', id: 9 },
            queryMessage: { rule: 'optional', type: 'bytes', id: 10 },
            responseTimeSec: { rule: 'optional', type: 'uint64', id: 12 },
            responseTimeNsec: { rule: 'optional', type: 'fixed32', id: 13 },
            responseMessage: { rule: 'optional', type: 'bytes', id: 14 },
            policy: { rule: 'optional', type: 'Policy', id: 15 },
          },
        },
      },
    },
  },
});

export const DnstapType = root.lookupType('dnstap.Dnstap');

export const SOCKET_PROTOCOL: Readonly<Record<string, number>> = { udp: 1, tcp: 2, dot: 3, doh: 4 };
export const MESSAGE_TYPE = { CLIENT_QUERY: 5, CLIENT_RESPONSE: 6 } as const;
export const POLICY_ACTION = { NXDOMAIN: 1, NODATA: 2, PASS: 3, DROP: 4, LOCAL_DATA: 6 } as const;
export const POLICY_MATCH = { QNAME: 1, RESPONSE_IP: 3 } as const;
