FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
EXPOSE 8501
CMD ["sh", "-c", "python -m recsys index && streamlit run streamlit_app.py --server.port 8501 --server.address 0.0.0.0"]
