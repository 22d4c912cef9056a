package io.strata.it.jms;

import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/** {@code GET jms-deliveries?listener=NAME}: what that listener received, one value a line, for the client tests. */
@WebServlet("/jms-deliveries")
public class DeliveriesServlet extends HttpServlet {

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("text/plain;charset=UTF-8");
        for (String value : Deliveries.of(request.getParameter("listener"))) {
            response.getWriter().println(value);
        }
    }
}
