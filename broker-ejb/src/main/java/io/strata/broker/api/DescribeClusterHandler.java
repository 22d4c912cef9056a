package io.strata.broker.api;

import io.strata.broker.cluster.BrokerInfo;
import io.strata.broker.cluster.ClusterMembership;
import io.strata.broker.config.Endpoint;
import io.strata.broker.metadata.Controller;
import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeClusterResponseData.DescribeClusterBroker;
import org.apache.kafka.common.message.DescribeClusterResponseData.DescribeClusterBrokerCollection;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.DescribeClusterRequest;
import org.apache.kafka.common.requests.DescribeClusterResponse;

/** DescribeCluster: the cluster id, the controller and the live brokers, as the Admin client's describeCluster shows. */
final class DescribeClusterHandler implements ApiHandler {

    private static final byte ENDPOINT_TYPE_BROKER = 1;

    private final RequestChannel requestChannel;
    private final Controller controller;
    private final ClusterMembership membership;

    DescribeClusterHandler(RequestChannel requestChannel, Controller controller, ClusterMembership membership) {
        this.requestChannel = requestChannel;
        this.controller = controller;
        this.membership = membership;
    }

    @Override
    public void handle(Request request, AbstractRequest body) {
        DescribeClusterRequest describe = (DescribeClusterRequest) body;
        DescribeClusterResponseData response = new DescribeClusterResponseData()
                .setClusterId(controller.image().clusterId())
                .setControllerId(membership.controllerId())
                .setEndpointType(ENDPOINT_TYPE_BROKER);
        if (describe.data().endpointType() != ENDPOINT_TYPE_BROKER) {
            response.setErrorCode(Errors.UNSUPPORTED_ENDPOINT_TYPE.code())
                    .setErrorMessage("Strata brokers answer for broker endpoints only");
            requestChannel.sendResponse(request, new DescribeClusterResponse(response));
            return;
        }
        DescribeClusterBrokerCollection brokers = new DescribeClusterBrokerCollection();
        for (BrokerInfo broker : membership.liveBrokers()) {
            Endpoint endpoint = broker.endpoint(request.context().listenerName());
            if (endpoint != null) {
                brokers.add(new DescribeClusterBroker().setBrokerId(broker.id()).setHost(endpoint.host())
                        .setPort(endpoint.port()).setRack(broker.rack()));
            }
        }
        requestChannel.sendResponse(request, new DescribeClusterResponse(response.setBrokers(brokers)));
    }
}
