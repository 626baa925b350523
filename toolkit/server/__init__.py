"""The Neo4j Community server that kgtool installs from Maven Central jars and runs locally."""

from toolkit.server.manager import ManagedNeo4j, ServerConfig, ServerStatus

__all__ = ["ManagedNeo4j", "ServerConfig", "ServerStatus"]
