/** Telemetry: an agent's charts and Vector log lines, a group's throughput, the fleet overview, and their live updates. */
import { graphql } from '../../../codegen/gql/index.ts';

export const AgentTelemetryQuery = graphql(`
  query AgentTelemetry($id: ID!, $range: TelemetryRange!) {
    agent(id: $id) {
      id
      telemetry {
        ...AgentTelemetrySample
      }
      telemetryHistory(range: $range) {
        at
        cpuPercent
        memoryUsedBytes
        memoryAvailableBytes
        diskUsedBytes
        diskTotalBytes
        eventsIn
        eventsOut
        errors
        components {
          id
          eventsIn
          eventsOut
          errors
        }
      }
    }
  }
`);

export const AgentTelemetrySampleFragment = graphql(`
  fragment AgentTelemetrySample on AgentTelemetry {
    sampledAt
    cpuPercent
    memoryUsedBytes
    memoryAvailableBytes
    diskUsedBytes
    diskTotalBytes
    eventsInRate
    eventsOutRate
    errorsRate
    components {
      id
      kind
      rates {
        eventsIn
        eventsOut
        errors
      }
    }
    logs {
      time
      level
      message
    }
  }
`);

export const AgentTelemetryUpdatedSubscription = graphql(`
  subscription AgentTelemetryUpdated($agentId: ID!) {
    agentTelemetryUpdated(agentId: $agentId) {
      ...AgentTelemetrySample
    }
  }
`);

export const GroupThroughputQuery = graphql(`
  query GroupThroughput($slug: String!, $range: TelemetryRange!) {
    group(slug: $slug) {
      id
      throughput(range: $range) {
        ...ThroughputPointFields
      }
    }
  }
`);

export const ThroughputPointFragment = graphql(`
  fragment ThroughputPointFields on ThroughputPoint {
    minute
    eventsIn
    eventsOut
    errors
    discarded
  }
`);

export const GroupTelemetryUpdatedSubscription = graphql(`
  subscription GroupTelemetryUpdated($groupId: ID) {
    groupTelemetryUpdated(groupId: $groupId) {
      throughput {
        ...ThroughputPointFields
      }
    }
  }
`);

export const FleetTelemetryQuery = graphql(`
  query FleetTelemetry($range: TelemetryRange!) {
    fleetTelemetry(range: $range) {
      throughput {
        ...ThroughputPointFields
      }
      topAgentsByErrors(limit: 5) {
        agentId
        hostname
        errorsRate
      }
      topComponentsByDiscarded(limit: 5) {
        groupId
        componentId
        kind
        totals {
          discarded
        }
      }
    }
  }
`);

export const ComponentRatesFragment = graphql(`
  fragment ComponentRateFields on ComponentRates {
    componentId
    agents
    rates {
      eventsIn
      eventsOut
      errors
      discarded
    }
  }
`);

export const GroupComponentRatesQuery = graphql(`
  query GroupComponentRates($slug: String!) {
    group(slug: $slug) {
      id
      componentRates {
        ...ComponentRateFields
      }
    }
  }
`);

export const GroupComponentRatesSubscription = graphql(`
  subscription GroupComponentRatesUpdated($groupId: ID!) {
    groupTelemetryUpdated(groupId: $groupId) {
      componentRates {
        ...ComponentRateFields
      }
    }
  }
`);
